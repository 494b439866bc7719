"""HTTP plumbing shared by the feature packages: templates, CSRF, sessions, errors, headers."""
