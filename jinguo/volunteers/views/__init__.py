"""Pages about volunteers, by sub-domain: phone flows (public), staff pages, team rosters, her own pages."""
