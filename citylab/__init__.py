"""The city lab: a real city of agencies, each node in a Linux network
namespace of its own, built from the CLI's commands and the enrolment files
only, for the fault drills (tests/test_city_lab.py), the propagation bench
(bench/propagation.py) and people (scripts/city-lab).

Imports `citychain` (never `ui`, `certificates` or `charity`): the nodes run
`main.py`, which brings the domain plug-ins; anything the lab says to a node it
says over HTTPS from a process inside a namespace (`citylab.probe`)."""
