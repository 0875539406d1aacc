DROP TABLE web_vitals;
DROP TABLE error_events;
DROP TABLE error_groups;
