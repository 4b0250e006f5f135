# The corpus files are data that looks like code (and like tests): never collect them.
collect_ignore_glob = ["secrets/*"]
