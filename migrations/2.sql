-- Version 1 → 2: the two indexes on nwave_position go. Nothing read a position by its group,
-- and only the Nwave prune asked for positions by session (it now reads the positions' sessions
-- once per run); each was one more page written for nearly every Nwave message.
DROP INDEX IF EXISTS nwave_position_group;
DROP INDEX IF EXISTS nwave_position_session;
