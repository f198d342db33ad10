"""The infrastructure: the deploy template, and the workflow definition and its builder."""
