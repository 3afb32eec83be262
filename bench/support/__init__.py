"""What the messaging benchmarks share: server processes, the bench directory, figures and tables."""
