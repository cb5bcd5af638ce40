"""The write path: set a field by rewriting only its lines, with the sha check, the re-parse proof,
the audit entry first, and undo."""
