<?php
/**
 * The worker's "run finished" callback: signed, not logged in, and collected at once.
 *
 * The worker signs "<timestamp>.<raw body>" with HMAC-SHA256 keyed by the shared secret
 * (contract: webhooks.runFinished). A callback is a hint: the tick collects anyway, so refusing
 * one loses nothing but a minute.
 *
 * @package automationtools-ai
 */

namespace ATAI\Callback;

use ATAI\Contract;
use ATAI\Cron;
use ATAI\Feeds;
use ATAI\Runs;
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
 * Permission check of the callback route: a valid, fresh signature.
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
	return true;
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
 * Collect the run the callback names, now, even if the worker hangs up.
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
	$feed = Feeds\get_by_run( $body['run_id'] );
	if ( null === $feed ) {
		// A run we no longer track (collected already, or its feed was deleted): nothing to do.
		return array(
			'collected' => false,
			'run_id'    => $body['run_id'],
		);
	}
	ignore_user_abort( true );
	$result = Runs\collect( $feed, microtime( true ) + Cron\time_budget() );
	if ( is_wp_error( $result ) ) {
		return array(
			'collected' => false,
			'run_id'    => $body['run_id'],
			'error'     => array(
				'code'    => $result->get_error_code(),
				'message' => $result->get_error_message(),
			),
		);
	}
	return array(
		'collected' => true,
		'run_id'    => $body['run_id'],
		'posted'    => count( $result['posted'] ),
		'finished'  => $result['finished'],
	);
}
