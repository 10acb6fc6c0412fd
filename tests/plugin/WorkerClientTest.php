<?php
/**
 * The worker client's failures, against a real closed port and a real local HTTP server.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Worker;
use WP_Error;

/**
 * Every failure is a WP_Error with a stable code and a message in words; never the secret.
 */
final class WorkerClientTest extends RestTestCase {

	const SECRET = 'sekrit-do-not-show-7f3a9c2b';

	/**
	 * Canned HTTP answers (tests/plugin/fixtures/worker-responses.php).
	 *
	 * @var Local_Server
	 */
	private static Local_Server $server;

	public static function setUpBeforeClass(): void {
		self::$server = Local_Server::start( 'worker-responses.php' );
	}

	public static function tearDownAfterClass(): void {
		self::$server->stop();
	}

	/**
	 * Assert an error's code, that its message says something, and that it hides the secret.
	 *
	 * @param mixed $result What the client returned.
	 */
	private function assertWorkerError( string $code, $result ): WP_Error {
		$this->assertInstanceOf( WP_Error::class, $result );
		$this->assertSame( $code, $result->get_error_code(), $result->get_error_message() );
		$this->assertStringNotContainsString( self::SECRET, $result->get_error_message() );
		$this->assertStringNotContainsString( self::SECRET, (string) wp_json_encode( $result->get_error_data() ) );
		return $result;
	}

	public function test_a_closed_port_is_reported_as_connection_refused_naming_the_worker_url(): void {
		$url = 'http://127.0.0.1:' . Local_Server::free_port();
		self::use_worker( $url, self::SECRET );

		$error = $this->assertWorkerError( 'atai_worker_unreachable', Worker\status() );

		$this->assertStringStartsWith( "Could not reach the worker at $url: connection refused.", $error->get_error_message() );
	}

	public function test_credentials_in_the_worker_url_never_appear_in_a_message(): void {
		$port = Local_Server::free_port();
		self::use_worker( "http://admin:hunter2@127.0.0.1:$port", self::SECRET );

		$error = $this->assertWorkerError( 'atai_worker_unreachable', Worker\status() );

		$this->assertStringNotContainsString( 'hunter2', $error->get_error_message() );
		$this->assertStringContainsString( "http://127.0.0.1:$port", $error->get_error_message() );
	}

	public function test_without_a_shared_secret_the_client_says_where_to_set_it_and_sends_nothing(): void {
		self::use_worker( self::$server->url( '/wrong-secret' ), '' );

		$error = $this->assertWorkerError( 'atai_worker_not_configured', Worker\status() );

		$this->assertStringContainsString( 'Settings', $error->get_error_message() );
		$this->assertStringContainsString( 'ATAI_WORKER_SECRET', $error->get_error_message() );
	}

	public function test_a_web_page_instead_of_json_does_not_match_the_contract(): void {
		self::use_worker( self::$server->url( '/html-page' ), self::SECRET );

		$error = $this->assertWorkerError( 'atai_worker_bad_response', Worker\status() );

		$this->assertStringContainsString( self::$server->url( '/html-page' ), $error->get_error_message() );
		$this->assertStringContainsString( 'not JSON', $error->get_error_message() );
	}

	public function test_a_plain_http_500_says_the_worker_failed(): void {
		self::use_worker( self::$server->url( '/plain-500' ), self::SECRET );

		$error = $this->assertWorkerError( 'atai_worker_server_error', Worker\status() );

		$this->assertStringContainsString( 'failed with HTTP 500: Internal Server Error', $error->get_error_message() );
		$this->assertSame( 500, $error->get_error_data()['worker_status'] );
	}

	public function test_a_5xx_with_the_workers_error_passes_its_message_on(): void {
		self::use_worker( self::$server->url( '/worker-503' ), self::SECRET );

		$error = $this->assertWorkerError( 'atai_worker_server_error', Worker\status() );

		$this->assertStringContainsString( 'HTTP 503: queue: the job queue is not reachable', $error->get_error_message() );
	}

	public function test_a_401_says_the_shared_secret_is_wrong(): void {
		self::use_worker( self::$server->url( '/wrong-secret' ), self::SECRET );

		$error = $this->assertWorkerError( 'atai_worker_unauthorized', Worker\status() );

		$this->assertStringStartsWith( 'The worker rejected the shared secret (401).', $error->get_error_message() );
	}

	public function test_a_400_gives_the_workers_message_and_the_field(): void {
		self::use_worker( self::$server->url( '/refuses-field' ), self::SECRET );
		$feed = self::create_feed();

		$error = $this->assertWorkerError( 'atai_worker_bad_request', Worker\create_run( \ATAI\Runs\run_request( $feed ) ) );

		$this->assertSame( 'The worker refused the request (400): request: max_items must be at most 500 (field: max_items)', $error->get_error_message() );
		$this->assertSame( 'max_items', $error->get_error_data()['field'] );
	}

	public function test_a_404_with_the_workers_error_means_the_run_is_gone(): void {
		self::use_worker( self::$server->url( '/lost-run' ), self::SECRET );
		$run_id = Contract_Fixtures::run_id();

		$error = $this->assertWorkerError( 'atai_worker_run_unknown', Worker\get_run( $run_id ) );

		$this->assertStringContainsString( "no longer knows run $run_id", $error->get_error_message() );
	}

	public function test_a_bare_404_page_is_a_wrong_url_not_a_lost_run(): void {
		self::use_worker( self::$server->url( '/html-404' ), self::SECRET );

		$this->assertWorkerError( 'atai_worker_bad_response', Worker\get_run( Contract_Fixtures::run_id() ) );
	}

	public function test_json_that_breaks_the_contract_is_refused_naming_what_is_missing(): void {
		self::use_worker( self::$server->url( '/off-contract' ), self::SECRET );

		$error = $this->assertWorkerError( 'atai_worker_bad_response', Worker\status() );

		$this->assertStringContainsString( 'does not match the API contract', $error->get_error_message() );
		$this->assertMatchesRegularExpression( '/(version|ai|queue)\b.*required|not of type/', $error->get_error_message() );
	}

	public function test_a_run_request_that_breaks_the_contract_is_not_sent(): void {
		self::use_worker( 'http://127.0.0.1:' . Local_Server::free_port(), self::SECRET );
		$feed                 = self::create_feed();
		$request              = \ATAI\Runs\run_request( $feed );
		$request['max_items'] = 0;

		$error = $this->assertWorkerError( 'atai_run_request_invalid', Worker\create_run( $request ) );

		$this->assertStringContainsString( 'max_items', $error->get_error_message() );
	}

	public function test_the_test_connection_route_answers_with_the_error_in_words(): void {
		$url = 'http://127.0.0.1:' . Local_Server::free_port();
		self::use_worker( $url, self::SECRET );
		self::act_as( 'administrator' );

		$response = self::request( 'GET', 'worker/status' );

		$this->assertSame( 502, $response->get_status() );
		$this->assertSame( 'atai_worker_unreachable', $response->get_data()['code'] );
		$this->assertStringContainsString( "Could not reach the worker at $url: connection refused", $response->get_data()['message'] );
		$this->assertStringNotContainsString( self::SECRET, self::body_json( $response ) );
	}
}
