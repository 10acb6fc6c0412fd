<?php
/**
 * Runs: dispatch a feed to the worker, and collect what the worker made of it.
 *
 * Dispatch is one quick POST; nothing here ever waits for a model. Collecting records the planned
 * items, imports the ready drafts, records item errors, acknowledges what was handled and, once
 * the worker is done and nothing is left, closes the run on the feed (run-state.php writes the
 * feed's run columns).
 *
 * @package automationtools-ai
 */

namespace ATAI\Runs;

use ATAI\Costs;
use ATAI\Feed;
use ATAI\Feed_Options;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Lock;
use ATAI\Messages;
use ATAI\Media;
use ATAI\Posts;
use ATAI\Prompts;
use ATAI\Run_Progress;
use ATAI\Settings;
use ATAI\Worker;
use WP_Error;

/**
 * Send a feed to the worker now; returns the run ID or why not.
 *
 * @since 0.1.0
 *
 * @param Feed $feed The feed (Feeds\get()).
 * @return array{run_id: string}|WP_Error
 */
function dispatch( Feed $feed ) {
	if ( Costs\paused() ) {
		// The feed stays due: its entries wait in the feed until the budget allows rewriting them.
		$paused = Costs\paused_error();
		record_error( $feed->id, $paused );
		return $paused;
	}
	if ( ! claim_for_dispatch( $feed->id ) ) {
		return new WP_Error(
			'atai_run_in_progress',
			/* translators: %s: feed title or URL. */
			sprintf( __( '"%s" already has a run in progress; its posts appear as soon as the worker hands them back.', 'automationtools-ai' ), '' !== $feed->title ? $feed->title : $feed->url ),
			array( 'status' => 409 )
		);
	}
	$created = Worker\create_run( run_request( $feed ) );
	if ( is_wp_error( $created ) ) {
		release_claim( $feed->id, $created );
		return $created;
	}
	start_run( $feed, $created['run_id'] );
	return array( 'run_id' => $created['run_id'] );
}

/**
 * The RunRequest for a feed.
 *
 * @since 0.1.0
 *
 * @param Feed $feed The feed.
 * @return array<string, mixed> A contract RunRequest.
 */
function run_request( Feed $feed ): array {
	$source = array(
		'id'  => $feed->id,
		'url' => $feed->url,
	);
	// A 304 would hide the entries still owed: items to retry, or entries a capped run left over.
	$conditional = 0 === $feed->entries_deferred && ! Ledger\has_retryable_failures( $feed->id );
	if ( $conditional && ! empty( $feed->etag ) ) {
		$source['etag'] = $feed->etag;
	}
	if ( $conditional && ! empty( $feed->last_modified ) ) {
		$source['last_modified'] = $feed->last_modified;
	}

	if ( '' !== $feed->title ) {
		$source['title'] = mb_substr( $feed->title, 0, 255 );
	}

	return array(
		'feed'         => $source,
		'max_items'    => $feed->max_posts,
		'seen_keys'    => Ledger\seen_keys( $feed->id, null ),
		'known'        => \ATAI\Source_Changes\known( $feed->id ),
		// Only what the site owner set in WordPress; everything else falls back to the worker's environment.
		'ai'           => Prompts\run_ai( $feed ),
		'images'       => Media\limits(),
		'options'      => (object) Feed_Options\for_worker( $feed->options ),
		'callback_url' => Settings\callback_url(),
	);
}

/**
 * Collect a feed's current run: fetch it from the worker and process it, under a per-run lock.
 *
 * A request that finds the run being collected (the tick, while the worker's callback arrives) does
 * not drop its collection: it records that one is owed, and the collection in progress collects once
 * more before it returns, so posts made meanwhile by the worker never wait for the next tick (issue
 * 16). If that collection ended meanwhile, the lock is free again and this request collects itself.
 *
 * @since 0.1.0
 *
 * @param Feed                 $feed     The feed, with a run_id.
 * @param float                $deadline microtime(true) after which no further draft is started.
 * @return array<string, mixed>|WP_Error What process_run() did, or why nothing was done.
 */
function collect( Feed $feed, float $deadline ) {
	$run_id = (string) $feed->run_id;
	$lock   = 'run_' . $run_id;
	$result = null;
	do {
		if ( ! Lock\acquire( $lock ) ) {
			owe_collection( $feed->id, $run_id );
			if ( ! Lock\acquire( $lock ) ) {
				return $result ?? new WP_Error( 'atai_run_busy', __( 'This run is being collected by another request, which collects it again before it ends.', 'automationtools-ai' ), array( 'status' => 409, 'owed' => true ) );
			}
		}
		try {
			take_owed_collection( $feed->id, $run_id );
			$result = collect_locked( $feed, $run_id, $deadline );
		} finally {
			Lock\release( $lock );
		}
		// Owed while this collection ran: collect again, unless the run closed or time is up (then the
		// owed collection waits for the next tick, which takes it).
	} while ( ! is_wp_error( $result ) && ! $result['finished'] && microtime( true ) < $deadline && take_owed_collection( $feed->id, $run_id ) );
	return $result;
}

/**
 * Collect a run whose lock this request holds.
 *
 * @since 0.1.0
 *
 * @param Feed   $feed     The feed.
 * @param string $run_id   Its current run.
 * @param float  $deadline microtime(true) after which no further draft is started.
 * @return array<string, mixed>|WP_Error What process_run() did, or why nothing was done.
 */
function collect_locked( Feed $feed, string $run_id, float $deadline ) {
	$run = Worker\get_run( $run_id );
	if ( ! is_wp_error( $run ) && $run['feed_id'] !== $feed->id ) {
		$run = Worker\bad_response( Settings\get( Settings\WORKER_URL ), __( 'the run belongs to another feed', 'automationtools-ai' ), 200 );
	}
	if ( is_wp_error( $run ) ) {
		if ( 'atai_worker_run_unknown' === $run->get_error_code() ) {
			Ledger\release_run( $run_id );
			forget_run( $feed, $run );
		} else {
			// Unreachable or refused: keep the run and try again on the next tick.
			record_error( $feed->id, $run );
		}
		return $run;
	}
	clear_worker_error( $feed );
	Run_Progress\remember( $run );
	return process_run( $feed, $run, $deadline );
}

/**
 * Handle a Run from the worker: plan, import, record errors, acknowledge, finish.
 *
 * @since 0.1.0
 *
 * @param Feed                 $feed     The feed.
 * @param array<string, mixed> $run      A contract Run (drafts checked one by one on import).
 * @param float                $deadline microtime(true) after which no further draft is started.
 * @return array{posted: array<string, int>, skipped: string[], failed: string[], left: int, finished: bool, ack_error: ?WP_Error}
 */
function process_run( Feed $feed, array $run, float $deadline ): array {
	$run_id = $run['run_id'];
	Ledger\record_planned( $feed->id, $run_id, $run['items'] );
	if ( '' === $feed->title && is_string( $run['feed']['title'] ?? null ) && '' !== trim( $run['feed']['title'] ) ) {
		// Posts credit their source by the feed's name: a new feed takes it from its first fetch now.
		Feeds\update( $feed->id, array( 'title' => mb_substr( sanitize_text_field( $run['feed']['title'] ), 0, 255 ) ) );
		$feed = Feeds\get( $feed->id ) ?? $feed;
	}

	$result = import_drafts( $feed, $run_id, $run['drafts'], $deadline );

	Ledger\record_failures( $feed->id, $run_id, Messages\localized_all( $run['errors'] ) );
	Ledger\record_skipped( $feed->id, $run_id, $run['skipped'] );
	Costs\record_errors( $feed->id, $run_id, $run['errors'] );

	$handled = array_merge( array_keys( $result['posted'] ), $result['skipped'], $result['failed'], array_column( $run['errors'], 'key' ) );

	$result['finished']  = false;
	$result['ack_error'] = null;
	$remaining           = count( $run['items'] );
	if ( $handled ) {
		$ack = Worker\ack( $run_id, $handled );
		if ( is_wp_error( $ack ) ) {
			// The worker sends these again; the ledger makes handling them a second time harmless.
			record_error( $feed->id, $ack );
			$result['ack_error'] = $ack;
			return $result;
		}
		$remaining = $ack['remaining'];
	}
	if ( in_array( $run['state'], array( 'done', 'failed' ), true ) && 0 === $remaining && 0 === $result['left'] ) {
		finish( $feed, $run );
		$result['finished'] = true;
	}
	return $result;
}

/**
 * Import drafts, each on its own: one that fails never stops the others.
 *
 * @since 0.1.0
 *
 * @param Feed                             $feed     The feed.
 * @param string                           $run_id   Run ID.
 * @param array<int, array<string, mixed>> $drafts   Drafts from the run.
 * @param float                            $deadline microtime(true) after which no further draft is started.
 * @return array{posted: array<string, int>, skipped: string[], failed: string[], left: int} Keys by outcome (posted: key => post ID); left: drafts not started.
 */
function import_drafts( Feed $feed, string $run_id, array $drafts, float $deadline = INF ): array {
	$result   = array(
		'posted'  => array(),
		'skipped' => array(),
		'failed'  => array(),
		'left'    => 0,
	);
	$failures = array();
	$batch           = Posts\Import_Batch::begin();
	$batch->deadline = $deadline;
	try {
		Media\copy_ahead( $drafts, $feed, $deadline );
		foreach ( array_values( $drafts ) as $index => $draft ) {
			if ( microtime( true ) >= $deadline ) {
				$result['left'] = count( $drafts ) - $index;
				break;
			}
			$key = $draft['key'];
			try {
				$outcome = Posts\import_draft( $draft, $feed, $run_id, $batch );
			} catch ( \Throwable $exception ) {
				// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- an unexpected failure must leave a trace for the site's developer.
				error_log( sprintf( 'atai stage=import feed_id=%d run_id=%s key=%s error=%s', $feed->id, $run_id, $key, $exception->getMessage() ) );
				$outcome = new WP_Error(
					'import_failed',
					/* translators: %s: error message. */
					sprintf( __( 'import: %s', 'automationtools-ai' ), $exception->getMessage() )
				);
			}
			if ( is_wp_error( $outcome ) ) {
				$result['failed'][] = $key;
				$failures[]         = array(
					'key'       => $key,
					'guid'      => $draft['guid'] ?? null,
					'link'      => $draft['source_url'] ?? null,
					'title'     => $draft['source_title'] ?? null,
					'code'      => $outcome->get_error_code(),
					'message'   => $outcome->get_error_message(),
					'retryable' => true,
				);
			} elseif ( 0 === $outcome ) {
				$result['skipped'][] = $key;
			} else {
				$result['posted'][ $key ] = $outcome;
			}
		}
		Media\settle( $deadline );
	} finally {
		$batch->end();
	}
	Ledger\record_failures( $feed->id, $run_id, $failures );
	return $result;
}
