<?php
/**
 * The cron tick: every minute, collect the runs the worker has been working on and dispatch due feeds.
 *
 * The tick takes a lock so two ticks at once never both work, and stops starting new work when its
 * time budget is spent; whatever is left waits for the next tick.
 *
 * @package automationtools-ai
 */

namespace ATAI\Cron;

use ATAI\Feed;
use ATAI\Lock;
use ATAI\Runs;
use WP_Error;

const HOOK     = 'atai_tick';
const SCHEDULE = 'atai_every_minute';
const LOCK     = 'tick';

/** Seconds a tick (or a callback) may spend; the filter atai_time_budget changes it. */
const DEFAULT_TIME_BUDGET = 20;

/**
 * Add the every-minute schedule.
 *
 * @since 0.1.0
 *
 * @param array<string, array{interval: int, display: string}> $schedules Schedules.
 * @return array<string, array{interval: int, display: string}>
 */
function add_schedule( $schedules ) {
	$schedules[ SCHEDULE ] = array(
		'interval' => MINUTE_IN_SECONDS,
		'display'  => __( 'Every minute (AutomationTools.AI)', 'automationtools-ai' ),
	);
	return $schedules;
}

/**
 * Schedule the tick unless it is scheduled already (safe to call on every load).
 *
 * @since 0.1.0
 */
function ensure_scheduled(): void {
	if ( false === wp_next_scheduled( HOOK ) ) {
		wp_schedule_event( time(), SCHEDULE, HOOK );
	}
}

/**
 * Remove the tick from the schedule.
 *
 * @since 0.1.0
 */
function unschedule(): void {
	wp_clear_scheduled_hook( HOOK );
}

/**
 * Seconds one tick or one callback may work.
 *
 * @since 0.1.0
 */
function time_budget(): float {
	/**
	 * Filters how many seconds a tick (or a worker callback) may spend importing and dispatching.
	 *
	 * @since 0.1.0
	 *
	 * @param float $seconds Default 20.
	 */
	return (float) apply_filters( 'atai_time_budget', (float) DEFAULT_TIME_BUDGET );
}

/**
 * One tick: collect every feed's current run, then dispatch due feeds, within the time budget.
 *
 * @since 0.1.0
 *
 * @return array{locked: bool, collected: int, dispatched: int, errors: array<int, string>} What happened.
 */
function tick(): array {
	$summary = array(
		'locked'     => false,
		'collected'  => 0,
		'dispatched' => 0,
		'errors'     => array(),
	);
	// Also when another tick holds the lock: WP-Cron did run us.
	\ATAI\Health\tick_started();
	if ( ! Lock\acquire( LOCK ) ) {
		$summary['locked'] = true;
		return $summary;
	}
	try {
		$deadline = microtime( true ) + time_budget();
		Runs\release_stale_claims();

		foreach ( Runs\feeds_to_collect() as $feed ) {
			if ( microtime( true ) >= $deadline ) {
				break;
			}
			$result = guarded( 'collect', $feed, static fn() => Runs\collect( $feed, $deadline ) );
			if ( is_wp_error( $result ) ) {
				$summary['errors'][ $feed->id ] = $result->get_error_message();
			} else {
				++$summary['collected'];
			}
		}

		foreach ( Runs\due_feeds() as $feed ) {
			if ( microtime( true ) >= $deadline ) {
				break;
			}
			$result = guarded( 'dispatch', $feed, static fn() => Runs\dispatch( $feed ) );
			if ( is_wp_error( $result ) ) {
				$summary['errors'][ $feed->id ] = $result->get_error_message();
			} else {
				++$summary['dispatched'];
			}
		}
	} finally {
		Lock\release( LOCK );
	}
	return $summary;
}

/**
 * Run one feed's work so that an unexpected failure stops that feed only, and shows on it.
 *
 * @since 0.1.0
 *
 * @param string               $stage 'collect' or 'dispatch'.
 * @param Feed                 $feed  The feed.
 * @param callable             $work  The work.
 * @return mixed|WP_Error What the work returned, or the failure.
 */
function guarded( string $stage, Feed $feed, callable $work ) {
	try {
		return $work();
	} catch ( \Throwable $exception ) {
		// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- an unexpected failure must leave a trace for the site's developer.
		error_log( sprintf( 'atai stage=%s feed_id=%d feed_url=%s error=%s', $stage, $feed->id, $feed->url, $exception->getMessage() ) );
		$error = new WP_Error(
			'atai_' . $stage . '_failed',
			/* translators: 1: stage ("collect" or "dispatch"), 2: error message. */
			sprintf( __( '%1$s: unexpected failure: %2$s', 'automationtools-ai' ), $stage, $exception->getMessage() )
		);
		if ( 'dispatch' === $stage ) {
			Runs\release_claim( $feed->id, $error );
		} else {
			Runs\record_error( $feed->id, $error );
		}
		return $error;
	}
}
