"""Cross-cutting safety tests: hostile identifiers, faults, hostile scanner input, secrets, seeding safety."""
