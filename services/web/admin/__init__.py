"""Administration pages: visitor appointments and the epidemic response level."""
