"""Flow control: decides whether a run may start now, later, or not at all. Called by runs."""
