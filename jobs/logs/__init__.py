"""Run logs: capture in the task's process, the writer process, and the binary COPY rows."""
