"""The service as replicas on one machine, as a simulation of several hosts (`make run-cluster`), and the
failover drill that kills one process of each kind under load (`make failover`)."""
