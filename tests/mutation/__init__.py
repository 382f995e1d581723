"""Mutation testing of the rule modules (``make mutate``): which tests guard which module, and the
mutants that change nothing (see TESTING.md)."""
