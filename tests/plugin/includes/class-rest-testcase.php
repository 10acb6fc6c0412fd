<?php
/**
 * Base case for REST API tests: a fresh REST server per test and request helpers.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use WP_REST_Request;
use WP_REST_Response;

/**
 * Sends requests through rest_do_request() and reads them back as a client would.
 */
abstract class RestTestCase extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		$GLOBALS['wp_rest_server'] = null;
		rest_get_server();
	}

	protected function tearDown(): void {
		$GLOBALS['wp_rest_server'] = null;
		parent::tearDown();
	}

	/**
	 * Dispatch a request to a route of ours (path under /atai/v1) or of core (path starting with /wp/).
	 *
	 * @param string               $method  HTTP method.
	 * @param string               $path    Route path, e.g. 'feeds/3' or '/wp/v2/posts/5'.
	 * @param array<string, mixed> $params  Query parameters (GET) or JSON body (others).
	 * @param array<string, mixed> $headers Request headers.
	 */
	protected static function request( string $method, string $path, array $params = array(), array $headers = array() ): WP_REST_Response {
		$route   = str_starts_with( $path, '/' ) ? $path : '/' . \ATAI\REST\NAMESPACE_V1 . '/' . $path;
		$request = new WP_REST_Request( $method, $route );
		if ( 'GET' === $method || 'DELETE' === $method ) {
			$request->set_query_params( $params );
		} elseif ( $params ) {
			$request->set_header( 'Content-Type', 'application/json' );
			$request->set_body( wp_json_encode( $params ) );
		}
		foreach ( $headers as $name => $value ) {
			$request->set_header( $name, $value );
		}
		return rest_do_request( $request );
	}

	/**
	 * POST a raw body to the worker's callback route with the given headers.
	 *
	 * @param string                $body    Raw JSON.
	 * @param array<string, string> $headers Headers.
	 */
	protected static function post_callback( string $body, array $headers ): WP_REST_Response {
		$request = new WP_REST_Request( 'POST', '/atai/v1/worker/callback' );
		$request->set_header( 'Content-Type', 'application/json' );
		$request->set_body( $body );
		foreach ( $headers as $name => $value ) {
			$request->set_header( $name, $value );
		}
		return rest_do_request( $request );
	}

	/**
	 * The headers the worker sends with a callback body.
	 *
	 * @return array<string, string>
	 */
	protected static function callback_headers( string $body, int $timestamp, string $secret ): array {
		return array(
			'X-ATAI-Timestamp' => (string) $timestamp,
			'X-ATAI-Signature' => 'sha256=' . hash_hmac( 'sha256', $timestamp . '.' . $body, $secret ),
		);
	}

	/**
	 * A callback body (contract: Callback).
	 */
	protected static function callback_body( string $run_id, string $state = 'done' ): string {
		return (string) wp_json_encode(
			array(
				'run_id' => $run_id,
				'state'  => $state,
			)
		);
	}

	/**
	 * The response body as the client receives it (JSON text, links included).
	 */
	protected static function body_json( WP_REST_Response $response ): string {
		return (string) wp_json_encode( rest_get_server()->response_to_data( $response, false ) );
	}

	/**
	 * An error response's messages, with each invalid parameter's message.
	 */
	protected static function error_text( WP_REST_Response $response ): string {
		if ( ! $response->is_error() ) {
			return '';
		}
		$data  = $response->get_data();
		$parts = array( $data['message'] ?? '' );
		foreach ( $data['data']['params'] ?? array() as $param => $message ) {
			$parts[] = $param . ': ' . $message;
		}
		foreach ( $data['additional_errors'] ?? array() as $error ) {
			$parts[] = $error['message'];
		}
		return implode( "\n", $parts );
	}
}
