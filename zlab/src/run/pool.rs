//! Work on up to N items at once with the results handed over in the items' order: what lets
//! `zlab test -j N` boot several guests while each check's report still comes whole and in
//! check order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// How often `Event::Waiting` comes while no result arrives.
const TICK: Duration = Duration::from_millis(100);

/// What the caller of `in_order` hears, on its own thread.
pub enum Event<R> {
    /// The next item's result, in the items' order.
    Done(R),
    /// Nothing new for a while; this many items are finished.
    Waiting(usize),
}

/// Calls `work` on each item, up to `jobs` at once on threads of their own, and tells `on`
/// each result, in the items' order, as soon as it and every one before it are finished. With
/// one job (or one item) everything runs on this thread, in order, as a plain loop would.
pub fn in_order<T, R>(items: &[T], jobs: usize, work: impl Fn(&T) -> R + Sync, mut on: impl FnMut(Event<R>))
where
    T: Sync,
    R: Send,
{
    if jobs <= 1 || items.len() <= 1 {
        items.iter().for_each(|item| on(Event::Done(work(item))));
        return;
    }
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(items.len()) {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                if tx.send((i, work(item))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut finished = BTreeMap::new();
        let mut handed_over = 0;
        loop {
            match rx.recv_timeout(TICK) {
                Ok((i, result)) => {
                    finished.insert(i, result);
                    while let Some(result) = finished.remove(&handed_over) {
                        on(Event::Done(result));
                        handed_over += 1;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => on(Event::Waiting(handed_over + finished.len())),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{in_order, Event};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn results_come_in_the_items_order_whatever_order_they_finish_in() {
        let items: Vec<u64> = vec![60, 0, 30, 0, 10];
        let mut seen = Vec::new();
        in_order(
            &items,
            3,
            |&ms| {
                std::thread::sleep(Duration::from_millis(ms));
                ms
            },
            |event| {
                if let Event::Done(r) = event {
                    seen.push(r)
                }
            },
        );
        assert_eq!(seen, items);
    }

    #[test]
    fn no_more_than_jobs_run_at_once() {
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let items: Vec<u32> = (0..12).collect();
        let mut count = 0;
        in_order(
            &items,
            2,
            |_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
                running.fetch_sub(1, Ordering::SeqCst);
            },
            |event| {
                if let Event::Done(()) = event {
                    count += 1
                }
            },
        );
        assert_eq!(count, 12);
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn one_job_runs_on_this_thread() {
        let here = std::thread::current().id();
        let mut threads = Vec::new();
        in_order(
            &[1, 2, 3],
            1,
            |_| std::thread::current().id(),
            |event| {
                if let Event::Done(id) = event {
                    threads.push(id)
                }
            },
        );
        assert!(threads.iter().all(|&id| id == here));
    }
}
