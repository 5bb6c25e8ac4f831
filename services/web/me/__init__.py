"""My code: the phone-sized pages where a person enrols with a link and shows a fresh code."""
