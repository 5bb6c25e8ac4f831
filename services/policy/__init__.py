"""Site policy stored versioned in the database; epidemic response levels."""
