"""Pages of the ledger: records and their corrections (staff), the review queue of held records (the level above),
correction requests (she asks, the organiser answers), the star distribution, and her own archive on the phone."""
