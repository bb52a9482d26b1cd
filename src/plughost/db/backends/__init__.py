"""Database backends: Django's, with what this host needs changed."""
