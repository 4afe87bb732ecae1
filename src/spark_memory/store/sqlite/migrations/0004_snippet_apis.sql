-- The API names a guide section or example teaches (JSON list of canonical dotted
-- names), so a guide hit can cite and count for the APIs it shows.
ALTER TABLE snippets ADD COLUMN apis TEXT NOT NULL DEFAULT '[]';
