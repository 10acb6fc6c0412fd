<?php
/**
 * The worker client: the only code in the plugin that makes HTTP requests.
 *
 * Every failure becomes a WP_Error with a stable code and a message a site owner understands; every
 * answer is checked against the contract before anyone uses it. The shared secret goes only into
 * the Authorization header, never into a message.
 *
 * @package automationtools-ai
 */

namespace ATAI\Worker;

use ATAI\Contract;
use ATAI\Settings;
use WP_Error;

/** Seconds to wait for the TCP connection; each whole-request time-out below is longer. */
const CONNECT_TIMEOUT = 3;
const POST_TIMEOUT    = 10;
const STATUS_TIMEOUT  = 10;
/** The worker gives the AI endpoint 8 s to answer a probe: a little more than the usual post time-out. */
const PROBE_EXTRA = 2;
/** A run with many large drafts is several megabytes. */
const RUN_TIMEOUT = 20;
/** Largest answer accepted (a run with 100 drafts of 125 KB is about 13 MB of JSON). */
const MAX_RESPONSE_BYTES = 64 * MB_IN_BYTES;
/** The worker accepts at most this many keys per acknowledgement. */
const ACK_BATCH = 1000;
/** Discovery reads a page, then its candidate feeds at once: two fetches' worth (ATAI_FETCH_TIMEOUT, 20 s). */
const DISCOVER_TIMEOUT = 60;
/** A preview without the model: a fetch, then the previewed entries' article pages at once. */
const PREVIEW_TIMEOUT = 60;
/** A preview with the model: one model call (ATAI_AI_TIMEOUT, 60 s) and the SDK's one retry. */
const REWRITE_PREVIEW_TIMEOUT = 150;

/** Marks our requests, so the cURL hook below touches no one else's. */
const REQUEST_MARK = 'atai_connect_timeout';

/**
 * GET /v1/status: what the worker can do (the "Test connection" button).
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>|WP_Error A contract Status.
 */
function status() {
	return request( 'GET', '/v1/status', null, STATUS_TIMEOUT, array( 200 => 'Status' ) );
}

/**
 * POST /v1/ai/models: the models the AI endpoint offers (the settings page's list).
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $ai The site's endpoint fields (base_url, api_key, model where set).
 * @return array<string, mixed>|WP_Error A contract ModelList.
 */
function ai_models( array $ai ) {
	return request( 'POST', '/v1/ai/models', array( 'ai' => (object) $ai ), POST_TIMEOUT + PROBE_EXTRA, array( 200 => 'ModelList' ) );
}

/**
 * POST /v1/ai/test: one small real call to the AI endpoint with the configured key and model (the settings
 * page's test and Site Health).
 *
 * @since 0.2.0
 *
 * @param array<string, mixed> $ai The site's endpoint fields.
 * @return array<string, mixed>|WP_Error A contract AiTestResult.
 */
function ai_test( array $ai ) {
	return request( 'POST', '/v1/ai/test', array( 'ai' => (object) $ai ), POST_TIMEOUT + PROBE_EXTRA, array( 200 => 'AiTestResult' ) );
}

/**
 * POST /v1/runs: queue one run of one feed.
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $run_request A contract RunRequest.
 * @return array<string, mixed>|WP_Error A contract RunCreated.
 */
function create_run( array $run_request ) {
	$valid = Contract\validate( 'RunRequest', $run_request );
	if ( is_wp_error( $valid ) ) {
		return invalid_request( 'atai_run_request_invalid', $valid, 500 );
	}
	return request( 'POST', '/v1/runs', $run_request, POST_TIMEOUT, array( 202 => 'RunCreated' ) );
}

/**
 * The error of a request the plugin built but the contract refuses (a request never sent).
 *
 * @since 0.3.0
 *
 * @param string   $code   Error code.
 * @param WP_Error $reason The validator's error, naming the field.
 * @param int      $status HTTP status for REST.
 */
function invalid_request( string $code, WP_Error $reason, int $status ): WP_Error {
	return new WP_Error(
		$code,
		/* translators: %s: the validator's message naming the field. */
		sprintf( __( 'The request for the worker is not valid: %s', 'automationtools-ai' ), $reason->get_error_message() ),
		array( 'status' => $status )
	);
}

/**
 * POST /v1/discover: the feeds of an address (itself, the feeds its page names, or at usual paths).
 *
 * @since 0.3.0
 *
 * @return array<string, mixed>|WP_Error A contract Discovery.
 */
function discover( string $url ) {
	return request( 'POST', '/v1/discover', array( 'url' => $url ), DISCOVER_TIMEOUT, array( 200 => 'Discovery' ) );
}

/**
 * POST /v1/preview: what a feed would post, made by the worker's stages and stored nowhere.
 *
 * @since 0.3.0
 *
 * @param array<string, mixed> $preview_request A contract PreviewRequest.
 * @return array<string, mixed>|WP_Error A contract Preview.
 */
function preview( array $preview_request ) {
	$valid = Contract\validate( 'PreviewRequest', $preview_request );
	if ( is_wp_error( $valid ) ) {
		return invalid_request( 'atai_preview_request_invalid', $valid, 400 );
	}
	$timeout = empty( $preview_request['rewrite'] ) ? PREVIEW_TIMEOUT : REWRITE_PREVIEW_TIMEOUT;
	return request( 'POST', '/v1/preview', $preview_request, $timeout, array( 200 => 'Preview' ) );
}

/**
 * GET /v1/runs/{id}: the run with every draft and item error not acknowledged yet.
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>|WP_Error A contract Run.
 */
function get_run( string $run_id ) {
	return request( 'GET', '/v1/runs/' . rawurlencode( $run_id ), null, RUN_TIMEOUT, array( 200 => __NAMESPACE__ . '\\validate_run' ), $run_id );
}

/**
 * Check a Run against the contract, except each draft's body.
 *
 * Drafts are checked one by one when they are imported, so one malformed draft becomes one
 * failed item instead of making the whole run unusable. Each draft must still carry its key.
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $run Decoded Run.
 * @return true|WP_Error
 */
function validate_run( array $run ) {
	$drafts          = $run['drafts'] ?? null;
	$envelope        = $run;
	$envelope['drafts'] = array();
	$valid           = Contract\validate( 'Run', $envelope );
	if ( is_wp_error( $valid ) ) {
		return $valid;
	}
	if ( ! is_array( $drafts ) || ! wp_is_numeric_array( $drafts ) ) {
		return new WP_Error( 'rest_invalid_type', __( 'Run[drafts] is not an array.', 'automationtools-ai' ) );
	}
	foreach ( $drafts as $index => $draft ) {
		$key = is_array( $draft ) ? ( $draft['key'] ?? null ) : null;
		$ok  = Contract\validate( 'ItemKey', $key, "Run[drafts][{$index}][key]" );
		if ( is_wp_error( $ok ) ) {
			return $ok;
		}
	}
	return true;
}

/**
 * POST /v1/runs/{id}/ack in batches: the worker forgets these keys.
 *
 * @since 0.1.0
 *
 * @param string   $run_id Run ID.
 * @param string[] $keys   Item keys handled.
 * @return array<string, mixed>|WP_Error The last batch's contract AckResult.
 */
function ack( string $run_id, array $keys ) {
	$result = new WP_Error( 'atai_ack_empty', __( 'Nothing to acknowledge.', 'automationtools-ai' ) );
	foreach ( array_chunk( array_values( array_unique( $keys ) ), ACK_BATCH ) as $batch ) {
		$result = request( 'POST', '/v1/runs/' . rawurlencode( $run_id ) . '/ack', array( 'keys' => $batch ), POST_TIMEOUT, array( 200 => 'AckResult' ), $run_id );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
	}
	return $result;
}

/**
 * GET /v1/images/{sha256} into a file: the bytes of an image the worker checked for a draft.
 *
 * The bytes go straight to the file (never whole into memory), and their sha256 must be the one asked
 * for: the file then holds exactly the image the worker checked.
 *
 * @since 0.2.0
 *
 * @param string $sha256 The image's sha256 (Draft.image.sha256).
 * @param string $file   Where to write it (a temporary file).
 * @param int    $limit  Most bytes accepted.
 * @return true|WP_Error
 */
function download_image( string $sha256, string $file, int $limit ) {
	$base   = Settings\get( Settings\WORKER_URL );
	$secret = Settings\get( Settings\WORKER_SECRET );
	if ( '' === $secret || ! preg_match( '/^[0-9a-f]{64}$/', $sha256 ) ) {
		return new WP_Error( 'atai_worker_not_configured', __( 'The worker is not configured.', 'automationtools-ai' ) );
	}
	$response = wp_remote_get(
		untrailingslashit( $base ) . '/v1/images/' . $sha256,
		array(
			'timeout'             => RUN_TIMEOUT,
			'redirection'         => 0,
			'stream'              => true,
			'filename'            => $file,
			'limit_response_size' => $limit,
			'user-agent'          => 'AutomationTools.AI/' . \ATAI\VERSION . '; ' . home_url( '/' ),
			'headers'             => array( 'Authorization' => 'Bearer ' . $secret ),
			REQUEST_MARK          => CONNECT_TIMEOUT,
		)
	);
	if ( is_wp_error( $response ) ) {
		return unreachable( $base, $response, RUN_TIMEOUT );
	}
	$code = (int) wp_remote_retrieve_response_code( $response );
	if ( 200 !== $code ) {
		$decoded = json_decode( (string) file_get_contents( $file ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- our own temporary file.
		return refused( $base, $code, $decoded, '' );
	}
	if ( hash_file( 'sha256', $file ) !== $sha256 ) {
		return bad_response( $base, __( 'the image\'s bytes are not the ones named', 'automationtools-ai' ), $code );
	}
	return true;
}

/**
 * The worker URL without credentials, query or fragment, for messages.
 *
 * @since 0.1.0
 */
function display_url( string $url ): string {
	$parts = wp_parse_url( $url );
	if ( ! is_array( $parts ) || empty( $parts['host'] ) ) {
		return $url;
	}
	$port = isset( $parts['port'] ) ? ':' . $parts['port'] : '';
	return ( $parts['scheme'] ?? 'http' ) . '://' . $parts['host'] . $port . ( $parts['path'] ?? '' );
}

/**
 * Send one request to the worker and return the decoded, contract-checked answer.
 *
 * @since 0.1.0
 *
 * @param string                    $method   HTTP method.
 * @param string                    $path     Path under the worker URL, e.g. /v1/runs.
 * @param array<string, mixed>|null $body     JSON body, or null.
 * @param int                       $timeout  Seconds for the whole request.
 * @param array<int, string>        $expected Successful status => contract schema of its body (or a function checking it).
 * @param string                    $run_id   Run ID, for the 404 message.
 * @return array<string, mixed>|WP_Error
 */
function request( string $method, string $path, ?array $body, int $timeout, array $expected, string $run_id = '' ) {
	$base   = Settings\get( Settings\WORKER_URL );
	$secret = Settings\get( Settings\WORKER_SECRET );
	if ( '' === $secret ) {
		return new WP_Error(
			'atai_worker_not_configured',
			__( 'The worker is not configured: enter the shared secret under AutomationTools.AI > Settings (it must equal the worker\'s ATAI_WORKER_SECRET).', 'automationtools-ai' ),
			array( 'status' => 503 )
		);
	}
	$url  = untrailingslashit( $base ) . $path;
	$args = array(
		'method'              => $method,
		'timeout'             => $timeout,
		// A redirect would carry the secret somewhere else: the worker never redirects.
		'redirection'         => 0,
		'limit_response_size' => MAX_RESPONSE_BYTES,
		'user-agent'          => 'AutomationTools.AI/' . \ATAI\VERSION . '; ' . home_url( '/' ),
		'headers'             => array(
			'Authorization' => 'Bearer ' . $secret,
			'Accept'        => 'application/json',
		),
		REQUEST_MARK          => CONNECT_TIMEOUT,
	);
	if ( null !== $body ) {
		$args['headers']['Content-Type'] = 'application/json';
		$args['body']                    = wp_json_encode( $body );
	}

	// Not wp_safe_remote_request(): the worker lives on a private address (loopback or a Docker
	// network) by design, and the safe variant refuses exactly those. The URL is the site owner's setting.
	$response = wp_remote_request( $url, $args );

	if ( is_wp_error( $response ) ) {
		return unreachable( $base, $response, $timeout );
	}
	$code    = (int) wp_remote_retrieve_response_code( $response );
	$decoded = json_decode( wp_remote_retrieve_body( $response ), true );

	if ( isset( $expected[ $code ] ) ) {
		if ( ! is_array( $decoded ) ) {
			return bad_response( $base, __( 'the answer is not JSON', 'automationtools-ai' ), $code );
		}
		$check = $expected[ $code ];
		$valid = is_callable( $check ) ? $check( $decoded ) : Contract\validate( $check, $decoded );
		if ( is_wp_error( $valid ) ) {
			return bad_response( $base, $valid->get_error_message(), $code );
		}
		return $decoded;
	}
	return refused( $base, $code, $decoded, $run_id );
}

/**
 * The worker's own error ({error: {code, message, field}}) if the body is one.
 *
 * @since 0.1.0
 *
 * @param mixed $decoded Decoded body.
 * @return array{code: string, message: string, field: ?string}|null
 */
function worker_error( $decoded ): ?array {
	if ( ! is_array( $decoded ) || true !== Contract\validate( 'Error', $decoded ) ) {
		return null;
	}
	return array(
		'code'    => $decoded['error']['code'],
		'message' => $decoded['error']['message'],
		'field'   => $decoded['error']['field'] ?? null,
	);
}

/**
 * The error for a request that got no HTTP answer (refused, timed out, no such host).
 *
 * @since 0.1.0
 */
function unreachable( string $base, WP_Error $transport_error, int $timeout ): WP_Error {
	$detail = $transport_error->get_error_message();
	if ( preg_match( '/cURL error 7:|Connection refused|Failed to connect/i', $detail ) ) {
		$reason = __( 'connection refused', 'automationtools-ai' );
	} elseif ( preg_match( '/cURL error 28:|timed out/i', $detail ) ) {
		/* translators: %d: number of seconds. */
		$reason = sprintf( __( 'no answer within %d seconds', 'automationtools-ai' ), $timeout );
	} elseif ( preg_match( '/cURL error 6:|resolve host/i', $detail ) ) {
		$reason = __( 'the host name was not found', 'automationtools-ai' );
	} elseif ( preg_match( '/blocked requests/i', $detail ) ) {
		$reason = __( 'WP_HTTP_BLOCK_EXTERNAL blocks it; add the worker\'s host to WP_ACCESSIBLE_HOSTS', 'automationtools-ai' );
	} else {
		$reason = $detail;
	}
	return new WP_Error(
		'atai_worker_unreachable',
		/* translators: 1: worker URL, 2: reason such as "connection refused". */
		sprintf( __( 'Could not reach the worker at %1$s: %2$s. Check that the worker is running and that the worker URL in Settings is right.', 'automationtools-ai' ), display_url( $base ), $reason ),
		array( 'status' => 502 )
	);
}

/**
 * The error for an answer that does not match the contract.
 *
 * @since 0.1.0
 */
function bad_response( string $base, string $detail, int $code ): WP_Error {
	return new WP_Error(
		'atai_worker_bad_response',
		/* translators: 1: worker URL, 2: HTTP status code, 3: what is wrong with the answer. */
		sprintf( __( 'The worker at %1$s sent an answer (HTTP %2$d) that does not match the API contract: %3$s. Are the plugin and the worker the same version?', 'automationtools-ai' ), display_url( $base ), $code, $detail ),
		array(
			'status'        => 502,
			'worker_status' => $code,
		)
	);
}

/**
 * The error for an HTTP answer other than the expected one.
 *
 * @since 0.1.0
 *
 * @param string $base    Worker URL.
 * @param int    $code    HTTP status.
 * @param mixed  $decoded Decoded body.
 * @param string $run_id  Run ID, if the request was about one.
 */
function refused( string $base, int $code, $decoded, string $run_id ): WP_Error {
	$error  = worker_error( $decoded );
	$detail = $error ? $error['message'] : get_status_header_desc( $code );
	$data   = array(
		'status'        => 502,
		'worker_status' => $code,
	);
	if ( 401 === $code ) {
		return new WP_Error(
			'atai_worker_unauthorized',
			__( 'The worker rejected the shared secret (401). The shared secret in Settings (or ATAI_WORKER_SECRET in wp-config.php) must equal the worker\'s ATAI_WORKER_SECRET.', 'automationtools-ai' ),
			$data
		);
	}
	if ( 400 === $code ) {
		$data['field'] = $error['field'] ?? null;
		$message       = null === $data['field']
			/* translators: %s: the worker's message. */
			? sprintf( __( 'The worker refused the request (400): %s', 'automationtools-ai' ), $detail )
			/* translators: 1: the worker's message, 2: name of the offending field. */
			: sprintf( __( 'The worker refused the request (400): %1$s (field: %2$s)', 'automationtools-ai' ), $detail, $data['field'] );
		return new WP_Error( 'atai_worker_bad_request', $message, $data );
	}
	// Only the worker's own JSON 404 means the run is gone; a bare 404 is a wrong URL.
	if ( 404 === $code && '' !== $run_id && null !== $error ) {
		return new WP_Error(
			'atai_worker_run_unknown',
			/* translators: %s: run ID. */
			sprintf( __( 'The worker no longer knows run %s: it was restarted or its data was wiped. The feed will run again.', 'automationtools-ai' ), $run_id ),
			$data
		);
	}
	if ( $code >= 500 ) {
		return new WP_Error(
			'atai_worker_server_error',
			/* translators: 1: worker URL, 2: HTTP status code, 3: the worker's message or the status text. */
			sprintf( __( 'The worker at %1$s failed with HTTP %2$d: %3$s. Its log says more.', 'automationtools-ai' ), display_url( $base ), $code, $detail ),
			$data
		);
	}
	return bad_response(
		$base,
		/* translators: %s: the worker's message or the status text. */
		sprintf( __( 'unexpected status: %s', 'automationtools-ai' ), $detail ),
		$code
	);
}

/**
 * Cap the connection time of our requests (WordPress 6.1 passes no connect time-out to Requests).
 *
 * @since 0.1.0
 *
 * @param resource|\CurlHandle $handle cURL handle.
 * @param array<string, mixed> $args   Request arguments.
 */
function limit_connect_time( $handle, $args ): void {
	if ( is_array( $args ) && isset( $args[ REQUEST_MARK ] ) ) {
		curl_setopt( $handle, CURLOPT_CONNECTTIMEOUT_MS, (int) ( $args[ REQUEST_MARK ] * 1000 ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions.curl_curl_setopt -- the WordPress HTTP API hands us this handle for exactly this.
	}
}
