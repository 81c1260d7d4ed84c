"""The shipped data, installed as the package `mohbot_seeds`: the seed documents, the sources
file and the topic catalog (see `digests/paths.py`)."""
