//! The SQLite store's **writer**: one connection, on a thread of its own, that takes write jobs
//! from a queue and commits them in groups (decision 0020).
//!
//! Each job is a short synchronous function over the connection (the statements of one inbox
//! delivery, say). The thread takes the first job waiting, then every other job already queued
//! (up to [`MAX_BATCH`]), and runs them in one `BEGIN IMMEDIATE` transaction, each inside a
//! savepoint of its own: a job that fails rolls back its savepoint and leaves the others alone.
//! One `COMMIT` makes the whole group durable; only then does any job's caller get its answer.
//! So nothing is acknowledged before it is committed, and a crash loses only jobs nobody was told
//! about. Under load, the jobs that arrive while one group commits make the next group: the
//! busier the queue, the fewer commits per job, with no timer and no added wait when it is idle.
//!
//! Why a thread with `rusqlite` rather than a pooled `sqlx` connection: `sqlx` runs each SQLite
//! connection on a worker thread and hands every statement across to it and every row back,
//! waking a thread each way. For a job of a few statements those hand-offs cost more CPU than
//! SQLite does; here a whole group crosses once each way. Several pooled connections writing
//! also queue on SQLite's file lock through its busy handler, which sleeps (1 ms, 2 ms, 5 ms, …)
//! instead of handing the lock over; jobs queued here take their turn in order.
//!
//! The write-ahead log is checkpointed mostly by a checkpointer thread of its own, four times a
//! second, with passive checkpoints that neither wait for the writer nor hold it back, so that
//! no commit waits for a checkpoint's `fsync`. When the log passes 16 MiB the writer checkpoints
//! too, after a group's answers: only a checkpoint between two of its transactions lets the
//! log start over under a steady load.
//!
//! The connection is the database's only writer in this process for the jobs sent here;
//! other writes of the store (and other processes sharing the file) still take the file's write
//! lock as before, and the writer waits for them with the store's busy timeout. When every
//! handle is dropped, the thread ends and closes its connection.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jirasync_domain::StoreError;
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::reads::open_connection;
use crate::sql_error::direct_error;

/// The most jobs one transaction commits.
pub(crate) const MAX_BATCH: usize = 256;

/// How many jobs may wait for the writer before senders wait for room.
const QUEUE: usize = 4 * MAX_BATCH;

/// How often the checkpointer copies the write-ahead log back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The log's length (pages) past which the checkpointer asks the writer for a checkpoint of its
/// own. The checkpointer's passive checkpoints copy pages while the writer appends more, so
/// under a steady load the log is never fully copied at a moment the writer could start it
/// over, and it would grow without end. A checkpoint the writer runs between two of its
/// transactions is; most pages are copied already by then, so it is short, and it runs after
/// the group's answers. 4,096 pages of 4 KiB is 16 MiB.
const LONG_LOG_PAGES: i64 = 4096;

/// The size (bytes) the log file is cut back to when it starts over.
const JOURNAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// A job as the thread runs it: `run` once inside its savepoint (true when it succeeded), then
/// `finish` with the fate of the group's commit.
trait WriteJob: Send {
    /// Runs the job's statements on `connection`; whether they succeeded.
    fn run(&mut self, connection: &Connection) -> bool;
    /// Answers the caller: the job's own error, or its value once `committed` is `Ok`.
    fn finish(self: Box<Self>, committed: Result<(), StoreError>);
}

/// A job returning `T`, and where its answer goes.
struct Job<F, T> {
    what: &'static str,
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<F, T> WriteJob for Job<F, T>
where
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
    T: Send,
{
    fn run(&mut self, connection: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        // A panic is a bug, but it must not take the writer (and every later write) with it.
        let result = catch_unwind(AssertUnwindSafe(|| work(connection)))
            .unwrap_or_else(|panic| Err(panicked(self.what, panic.as_ref())));
        let succeeded = result.is_ok();
        self.result = Some(result);
        succeeded
    }

    fn finish(self: Box<Self>, committed: Result<(), StoreError>) {
        let answer = match self.result {
            Some(Err(error)) => Err(error),
            Some(Ok(value)) => committed.map(|()| value),
            None => Err(committed.err().unwrap_or_else(|| {
                StoreError::other(format!("{}: the writer did not run it", self.what))
            })),
        };
        // A caller that stopped waiting no longer wants the answer; the write stands.
        let _ = self.reply.send(answer);
    }
}

fn panicked(what: &str, panic: &(dyn Any + Send)) -> StoreError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    StoreError::other(format!("{what}: the write failed unexpectedly ({message})"))
}

/// A handle to the writer thread; clones share it.
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Box<dyn WriteJob>>,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("queued", &(QUEUE - self.jobs.capacity()))
            .finish()
    }
}

impl Writer {
    /// Opens the database file at `path` (it exists: the store created and migrated it) and
    /// starts the writer thread. The connection enforces foreign keys, syncs as the store's
    /// pool does (`synchronous = NORMAL`, WAL) and waits `busy_timeout` for another writer's
    /// lock.
    pub(crate) fn start(path: &Path, busy_timeout: Duration) -> Result<Self, rusqlite::Error> {
        let connection = open_connection(path, busy_timeout)?;
        // No checkpoint inside a commit (it would delay the group's answers): the checkpointer
        // and the writer between groups do them (`run`). The log file is cut back to
        // JOURNAL_SIZE_LIMIT when it starts over. Every job runs in a savepoint, whose journal
        // (the pages as they were before the job) is a temporary file unless `temp_store` is
        // MEMORY: kept in memory, it cost a drain on the inbox about 6 fewer write calls and
        // 10 KB less written per delivery (docs/decisions/0023-grouped-completions.md).
        connection.execute_batch(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; \
             PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT};"
        ))?;
        connection.set_prepared_statement_cache_capacity(64);
        let checkpoints = open_connection(path, busy_timeout)?;
        let stopped = Arc::new(AtomicBool::new(false));
        let long_log = Arc::new(AtomicBool::new(false));
        let checkpointer = spawn("jirasync-sqlite-checkpointer", {
            let (stopped, long_log) = (Arc::clone(&stopped), Arc::clone(&long_log));
            move || checkpoint_until(&checkpoints, &stopped, &long_log)
        })?;
        let (jobs, queue) = mpsc::channel(QUEUE);
        spawn("jirasync-sqlite-writer", move || {
            run(&connection, queue, &long_log);
            stopped.store(true, Ordering::Release);
            checkpointer.thread().unpark();
        })?;
        Ok(Self { jobs })
    }

    /// Runs `work` on the writer's connection in the next group, and gives its value once the
    /// group has committed. An error of `work` rolls back its own statements only; a failed
    /// commit fails every job of the group (none of them was written). `what` names the write
    /// in errors ("enqueueing an inbox delivery").
    ///
    /// The write happens even if the caller stops waiting once it is queued.
    pub(crate) async fn write<F, T>(&self, what: &'static str, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Job {
            what,
            work: Some(work),
            result: None,
            reply,
        });
        self.jobs.send(job).await.map_err(|_| stopped(what))?;
        answer.await.map_err(|_| stopped(what))?
    }
}

/// Starts a named thread.
fn spawn(
    name: &str,
    body: impl FnOnce() + Send + 'static,
) -> Result<std::thread::JoinHandle<()>, rusqlite::Error> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(body)
        .map_err(|error| {
            rusqlite::Error::ToSqlConversionFailure(Box::new(std::io::Error::other(format!(
                "cannot start the {name} thread: {error}"
            ))))
        })
}

/// The checkpointer thread: every [`CHECKPOINT_EVERY`], a passive checkpoint (it copies what
/// no reader still needs, without waiting for or holding back the writer), until the writer
/// stops. When the log is long, it asks the writer for a checkpoint of its own (see
/// [`LONG_LOG_PAGES`]), which then finds little left to copy.
fn checkpoint_until(connection: &Connection, stopped: &AtomicBool, long_log: &AtomicBool) {
    while !stopped.load(Ordering::Acquire) {
        std::thread::park_timeout(CHECKPOINT_EVERY);
        if checkpoint(connection).is_some_and(|pages| pages > LONG_LOG_PAGES) {
            long_log.store(true, Ordering::Release);
        }
    }
}

fn stopped(what: &str) -> StoreError {
    StoreError::unavailable(format!("{what}: the SQLite writer has stopped"))
}

/// The writer thread: a group per turn, until every handle is gone; after a group, when the
/// checkpointer found the log long, a checkpoint that lets the log start over (see
/// [`LONG_LOG_PAGES`]).
fn run(
    connection: &Connection,
    mut queue: mpsc::Receiver<Box<dyn WriteJob>>,
    long_log: &AtomicBool,
) {
    let mut group: Vec<Box<dyn WriteJob>> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.blocking_recv() {
        group.push(first);
        while group.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(connection, &mut group);
        if long_log.swap(false, Ordering::AcqRel) {
            checkpoint(connection);
        }
    }
}

/// A passive checkpoint; how many pages the log holds. A failure is only logged (the next
/// checkpoint copies what this one left).
fn checkpoint(connection: &Connection) -> Option<i64> {
    // (busy, pages in the log, pages copied)
    match connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1)) {
        Ok(pages) => Some(pages),
        Err(error) => {
            tracing::debug!(%error, "sqlite-checkpoint-failed");
            None
        }
    }
}

/// Runs `group`'s jobs in one transaction, each in a savepoint, commits, then answers them.
fn commit_group(connection: &Connection, group: &mut Vec<Box<dyn WriteJob>>) {
    const WHAT: &str = "committing a group of writes";
    if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
        let error = direct_error("starting a group of writes", error);
        for job in group.drain(..) {
            job.finish(Err(error.clone_for_job()));
        }
        return;
    }
    for job in group.iter_mut() {
        // A savepoint that cannot be taken leaves the job unrun: it fails with the commit's
        // fate, or with this.
        if connection.execute_batch("SAVEPOINT job").is_err() {
            continue;
        }
        let succeeded = job.run(connection);
        let closed = if succeeded {
            connection.execute_batch("RELEASE job")
        } else {
            connection.execute_batch("ROLLBACK TO job; RELEASE job")
        };
        if closed.is_err() {
            // The transaction is in an unknown state: give it up whole.
            let _ = connection.execute_batch("ROLLBACK");
            let error = StoreError::other(format!(
                "{WHAT}: a savepoint could not be closed; nothing of the group was written"
            ));
            for job in group.drain(..) {
                job.finish(Err(error.clone_for_job()));
            }
            return;
        }
    }
    let committed = connection
        .execute_batch("COMMIT")
        .map_err(|error| direct_error(WHAT, error));
    if committed.is_err() && !connection.is_autocommit() {
        let _ = connection.execute_batch("ROLLBACK");
    }
    for job in group.drain(..) {
        job.finish(
            committed
                .as_ref()
                .map(|_| ())
                .map_err(StoreErrorExt::clone_for_job),
        );
    }
}

/// A group's one failure, told to each of its jobs.
trait StoreErrorExt {
    /// The same kind of error with the same message (the driver's error is not kept).
    fn clone_for_job(&self) -> StoreError;
}

impl StoreErrorExt for StoreError {
    fn clone_for_job(&self) -> StoreError {
        match self {
            StoreError::Unavailable { message, .. } => StoreError::unavailable(message.clone()),
            StoreError::Conflict { message } => StoreError::conflict(message.clone()),
            StoreError::Invalid { message } => StoreError::invalid(message.clone()),
            StoreError::NotFound { what } => StoreError::not_found(what.clone()),
            other => StoreError::other(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Answer<T> = oneshot::Receiver<Result<T, StoreError>>;

    /// A queued job and where its answer arrives.
    fn job<T, F>(work: F) -> (Box<dyn WriteJob>, Answer<T>)
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Job {
            what: "a test write",
            work: Some(work),
            result: None,
            reply,
        });
        (job, answer)
    }

    fn insert(value: i64) -> impl FnOnce(&Connection) -> Result<i64, StoreError> + Send {
        move |connection| {
            connection
                .execute("INSERT INTO t (v) VALUES (?1)", [value])
                .map_err(|error| direct_error("inserting", error))?;
            Ok(value)
        }
    }

    fn table() -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)")
            .unwrap();
        connection
    }

    fn stored(connection: &Connection) -> Vec<i64> {
        let mut select = connection.prepare("SELECT v FROM t ORDER BY v").unwrap();
        select
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_failing_job_rolls_back_its_own_writes_only() {
        let connection = table();
        let (first, first_answer) = job(insert(1));
        // Writes 2, then fails on the duplicate 1: its 2 must go too.
        let (failing, failing_answer) = job(|connection: &Connection| {
            insert(2)(connection)?;
            insert(1)(connection)
        });
        let (third, third_answer) = job(insert(3));
        let mut group = vec![first, failing, third];
        commit_group(&connection, &mut group);
        assert_eq!(first_answer.blocking_recv().unwrap().unwrap(), 1);
        let error = failing_answer.blocking_recv().unwrap().unwrap_err();
        assert!(matches!(error, StoreError::Conflict { .. }), "{error}");
        assert_eq!(third_answer.blocking_recv().unwrap().unwrap(), 3);
        assert_eq!(stored(&connection), [1, 3]);
        assert!(connection.is_autocommit(), "the group's transaction ended");
    }

    #[test]
    #[allow(clippy::panic, reason = "the job under test panics on purpose")]
    fn a_panicking_job_fails_alone() {
        let connection = table();
        let (panicking, panicking_answer) =
            job(|_: &Connection| -> Result<(), StoreError> { panic!("a bug") });
        let (other, other_answer) = job(insert(7));
        let mut group = vec![panicking, other];
        commit_group(&connection, &mut group);
        let error = panicking_answer.blocking_recv().unwrap().unwrap_err();
        assert!(
            error
                .to_string()
                .contains("a test write: the write failed unexpectedly (a bug)"),
            "{error}"
        );
        assert_eq!(other_answer.blocking_recv().unwrap().unwrap(), 7);
        assert_eq!(stored(&connection), [7]);
    }

    #[test]
    fn a_group_that_cannot_begin_fails_every_job_and_writes_nothing() {
        let connection = table();
        // A transaction already open: `BEGIN IMMEDIATE` is refused.
        connection.execute_batch("BEGIN").unwrap();
        let (first, first_answer) = job(insert(1));
        let (second, second_answer) = job(insert(2));
        commit_group(&connection, &mut vec![first, second]);
        for answer in [first_answer, second_answer] {
            let error = answer.blocking_recv().unwrap().unwrap_err();
            assert!(
                error.to_string().contains("starting a group of writes"),
                "{error}"
            );
        }
        connection.execute_batch("ROLLBACK").unwrap();
        assert!(stored(&connection).is_empty());
    }

    #[tokio::test]
    async fn writes_through_the_thread_are_committed_before_they_are_answered() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("writer.db");
        table_at(&path);
        let writer = Writer::start(&path, Duration::from_secs(1)).unwrap();
        // Spawned together, so that they queue together.
        let tasks: Vec<_> = (1..=50)
            .map(|value| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.write("a test write", insert(value)).await })
            })
            .collect();
        let mut written = Vec::new();
        for task in tasks {
            written.push(task.await.unwrap().unwrap());
        }
        assert_eq!(written, (1..=50).collect::<Vec<_>>());
        // Another connection sees every answered write.
        assert_eq!(stored(&Connection::open(&path).unwrap()).len(), 50);
    }

    #[tokio::test]
    async fn the_savepoints_journal_is_kept_in_memory() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("writer.db");
        table_at(&path);
        let writer = Writer::start(&path, Duration::from_secs(1)).unwrap();
        let temp_store: i64 = writer
            .write("reading a setting", |connection| {
                connection
                    .query_row("PRAGMA temp_store", [], |row| row.get(0))
                    .map_err(|error| StoreError::other(error.to_string()))
            })
            .await
            .unwrap();
        assert_eq!(temp_store, 2, "MEMORY");
    }

    fn table_at(path: &Path) {
        Connection::open(path)
            .unwrap()
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER PRIMARY KEY)")
            .unwrap();
    }
}
