"""The run lifecycle: create, send, execute, end (and what follows), cancel, reap."""
