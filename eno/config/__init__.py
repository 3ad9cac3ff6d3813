"""Command-line configuration of the daemons: Go-compatible flags and the flags both processes share."""
