-- AlterEnum
-- Every task gets a row, reminder or not (NONE: no reminder armed), and a deleted task keeps its
-- row as a tombstone.
ALTER TYPE "ReminderStatus" ADD VALUE 'NONE' BEFORE 'PENDING';
