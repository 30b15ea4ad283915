-- c3d6457b6d8a: jobs.status_details JSON.
ALTER TABLE jobs ADD COLUMN status_details JSON;
