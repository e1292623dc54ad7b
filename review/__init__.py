"""Review: the exception queue. Items carry reason codes and evidence; resolutions re-enter the pipeline."""
