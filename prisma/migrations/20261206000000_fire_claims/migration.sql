-- One ReminderDue per reminder version, even when two triggers meet (the job and the sweep, two
-- retries, two pods of emit-reminder): whoever fires first claims the version until this time.
ALTER TABLE "reminders" ADD COLUMN "fire_claimed_until" TIMESTAMPTZ(3);

-- Tombstones of deleted tasks are pruned by age (the retention setting of emit-reminder).
CREATE INDEX "reminders_deleted_updated_at_idx" ON "reminders"("deleted", "updated_at");
