"""Migration planner backend: multi-tenant planning of data-centre exits and cloud migrations."""
