"""Short-term wins: recorded, credited with consent, de-identified, shared by the school's choice, curated by the program."""
