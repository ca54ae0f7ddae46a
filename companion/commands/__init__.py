"""What the `companion` command does beyond starting the service (`companion/cli.py` keeps
the arguments and the dispatch): the events commands (`events.py`), the way to the running
service (`service.py`), text for the terminal (`text.py`), `companion browse` (`browse.py`)
and `companion doctor` (`doctor.py`)."""
