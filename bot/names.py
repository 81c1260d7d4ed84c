"""How topics, leaders and document kinds are named in each language."""

from __future__ import annotations

from digests.documents import DocumentCatalog
from digests.topics.catalog import Catalog, Leader, Topic


def topic_name(topic: Topic, language: str) -> str:
    return topic.name_en if language == "en" else topic.name_vi


def leader_name(leader: Leader, language: str) -> str:
    title = leader.title_en if language == "en" else leader.title_vi
    return f"{title} {leader.name}"


def topic_names(catalog: Catalog, slugs: tuple[str, ...] | list[str], language: str) -> list[str]:
    names = []
    for slug in slugs:
        topic = catalog.topic(slug)
        names.append(topic_name(topic, language) if topic else slug)
    return names


def leader_names(catalog: Catalog, slugs: tuple[str, ...] | list[str], language: str) -> list[str]:
    names = []
    for slug in slugs:
        leader = catalog.leader(slug)
        names.append(leader.name if leader else slug)
    return names


def document_kind_name(documents: DocumentCatalog, slug: str, language: str) -> str:
    """ "Công điện" / "Official dispatch" for "cong-dien"; an unknown slug as itself."""
    kind = documents.kind(slug)
    return kind.name(language) if kind else slug
