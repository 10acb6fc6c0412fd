<?php
/**
 * The worker's "run finished" callback: signed, not logged in, and collected at once.
 *
 * The worker signs "<timestamp>.<raw body>" with HMAC-SHA256 keyed by the shared secret
 * (contract: webhooks.runFinished). Each signature is accepted once, so a captured request cannot be
 * replayed within its five minutes. A callback is a hint: the tick collects anyway, so refusing one
 * loses nothing but a minute.
 *
 * @package automationtools-ai
 */

namespace ATAI\Callback;

use ATAI\Clock;
use ATAI\Contract;
use ATAI\Cron;
use ATAI\Runs;
use ATAI\Schema;
use ATAI\Settings;
use WP_Error;
use WP_REST_Request;

const TIMESTAMP_HEADER = 'X-ATAI-Timestamp';
const SIGNATURE_HEADER = 'X-ATAI-Signature';

/** A signature older (or further in the future) than this is refused, so a captured request cannot be replayed later. */
const MAX_AGE = 5 * MINUTE_IN_SECONDS;

/**
 * The signature header value for a body, as the worker computes it.
 *
 * @since 0.1.0
 */
function signature( string $timestamp, string $body, string $secret ): string {
	return 'sha256=' . hash_hmac( 'sha256', $timestamp . '.' . $body, $secret );
}

/**
 * Permission check of the callback route: a valid, fresh signature, not used before.
 *
 * @since 0.1.0
 *
 * @return true|WP_Error
 */
function verify( WP_REST_Request $request ) {
	$secret = Settings\get( Settings\WORKER_SECRET );
	if ( '' === $secret ) {
		return refuse( 'atai_callback_not_configured', __( 'callback: no shared secret is set, so no callback can be trusted.', 'automationtools-ai' ) );
	}
	$timestamp = (string) $request->get_header( TIMESTAMP_HEADER );
	$given     = (string) $request->get_header( SIGNATURE_HEADER );
	if ( '' === $timestamp || '' === $given ) {
		return refuse( 'atai_callback_unsigned', __( 'callback: the X-ATAI-Timestamp and X-ATAI-Signature headers are required.', 'automationtools-ai' ) );
	}
	if ( ! ctype_digit( $timestamp ) || abs( time() - (int) $timestamp ) > MAX_AGE ) {
		return refuse( 'atai_callback_stale', __( 'callback: the timestamp is more than 5 minutes away from this server\'s clock.', 'automationtools-ai' ) );
	}
	if ( ! hash_equals( signature( $timestamp, $request->get_body(), $secret ), $given ) ) {
		return refuse( 'atai_callback_bad_signature', __( 'callback: the signature does not match; the worker and WordPress must share the same secret.', 'automationtools-ai' ) );
	}
	$first = first_use( $given, (int) $timestamp );
	if ( null === $first ) {
		return new WP_Error( 'atai_callback_db_error', __( 'callback: the database could not record the signature, so the callback was refused; the next tick collects the run.', 'automationtools-ai' ), array( 'status' => 503 ) );
	}
	if ( ! $first ) {
		return refuse( 'atai_callback_replayed', __( 'callback: this signed request was received before; each callback is accepted once.', 'automationtools-ai' ) );
	}
	return true;
}

/**
 * Record a valid signature: true the first time, false when it was recorded before (a replay), null on a database error.
 *
 * One INSERT IGNORE on a primary key decides, so of two copies arriving at once only one is first,
 * with or without an object cache. Rows are kept until their timestamp is stale anyway.
 *
 * @since 0.1.0
 */
function first_use( string $signature, int $timestamp ): ?bool {
	global $wpdb;
	$table = Schema\seen_callbacks_table();
	// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
	$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE expires_at < %s", Clock\utc() ) );
	$inserted = $wpdb->query(
		$wpdb->prepare(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
			"INSERT IGNORE INTO {$table} (signature, expires_at) VALUES (%s, %s)",
			hash( 'sha256', $signature ),
			Clock\at( $timestamp + MAX_AGE + 1 )
		)
	);
	return false === $inserted ? null : 1 === $inserted;
}

/**
 * A 401 error.
 *
 * @since 0.1.0
 */
function refuse( string $code, string $message ): WP_Error {
	return new WP_Error( $code, $message, array( 'status' => 401 ) );
}

/**
 * Collect the run the callback names, now, even if the worker hangs up; answer a contract CallbackResult.
 *
 * The worker sends a callback again while the answer is not "collected" (unless the run is unknown
 * here): when another request is collecting the run, that one collects again before it ends ("owed"),
 * and the worker's next try finds the run collected or collects it itself.
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>|WP_Error
 */
function handle( WP_REST_Request $request ) {
	$body  = json_decode( $request->get_body(), true );
	$valid = Contract\validate( 'Callback', $body, 'body' );
	if ( is_wp_error( $valid ) ) {
		$valid->add_data( array( 'status' => 400 ) );
		return $valid;
	}
	$feed = Runs\feed_of_run( $body['run_id'] );
	if ( null === $feed ) {
		// A run we no longer track (collected already, or its feed was deleted): nothing to do.
		return array(
			'collected' => false,
			'known'     => false,
			'run_id'    => $body['run_id'],
		);
	}
	ignore_user_abort( true );
	$result = Runs\collect( $feed, microtime( true ) + Cron\time_budget() );
	if ( is_wp_error( $result ) ) {
		$answer = array(
			'collected' => false,
			'known'     => true,
			'run_id'    => $body['run_id'],
			'error'     => array(
				'code'    => $result->get_error_code(),
				'message' => $result->get_error_message(),
			),
		);
		if ( ! empty( $result->get_error_data()['owed'] ) ) {
			$answer['owed'] = true;
		}
		return $answer;
	}
	return array(
		'collected' => true,
		'known'     => true,
		'run_id'    => $body['run_id'],
		'posted'    => count( $result['posted'] ),
		'finished'  => $result['finished'],
	);
}
