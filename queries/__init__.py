"""Query programs that sit on top of the KB (patient space, what-if search)."""
