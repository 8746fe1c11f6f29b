use super::*;

#[tokio::test]
async fn a_settlement_that_never_completes_is_given_up() {
    let never = std::future::pending::<lapin::Result<bool>>;
    let stuck = to_broker(|| true, Duration::from_millis(20), never()).await;
    let stuck = stuck.unwrap_err();
    assert!(stuck.contains("no answer within 20ms"), "{stuck}");
    let down = to_broker(|| false, Duration::from_secs(3600), never()).await;
    assert_eq!(down, Err("the connection is down".into()));
    let sent = to_broker(|| true, Duration::from_secs(3600), async { Ok(true) }).await;
    assert_eq!(sent, Ok(true));
}

#[tokio::test]
async fn a_settlement_under_way_is_given_up_as_soon_as_the_connection_goes() {
    let never = std::future::pending::<lapin::Result<bool>>;
    let connected = std::sync::atomic::AtomicBool::new(true);
    let started = std::time::Instant::now();
    let (settled, ()) = tokio::join!(
        to_broker(
            || connected.load(std::sync::atomic::Ordering::Relaxed),
            Duration::from_secs(3600),
            never()
        ),
        async {
            sleep(Duration::from_millis(100)).await;
            connected.store(false, std::sync::atomic::Ordering::Relaxed);
        }
    );
    assert_eq!(settled, Err("the connection went down".into()));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
