"""Pages of the activities app: staff (publish, approve, roster, insurance, qualifications, site load) and the
volunteer's phone pages (browse, detail, sign up, my sign-ups). Check-in pages live in views/checkin*.py."""
