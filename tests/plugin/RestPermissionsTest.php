<?php
/**
 * Who may use the atai/v1 routes, and that no response ever carries a secret.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Settings;

/**
 * Anonymous: 401; a logged-in user without manage_options: 403; an administrator: allowed.
 */
final class RestPermissionsTest extends RestTestCase {

	const WORKER_SECRET = 'shared-secret-abcdef-0123456789-wxyz';
	const API_KEY       = 'sk-proj-THISKEYMUSTNEVERSHOW-9876';

	/**
	 * Every route but the callback, with a method; {id} is replaced by a real feed ID.
	 *
	 * @return array<string, array{0: string, 1: string}>
	 */
	public function routes(): array {
		return array(
			'GET settings'         => array( 'GET', 'settings' ),
			'POST settings'        => array( 'POST', 'settings' ),
			'GET feeds'            => array( 'GET', 'feeds' ),
			'POST feeds'           => array( 'POST', 'feeds' ),
			'GET feeds/{id}'       => array( 'GET', 'feeds/{id}' ),
			'PUT feeds/{id}'       => array( 'PUT', 'feeds/{id}' ),
			'PATCH feeds/{id}'     => array( 'PATCH', 'feeds/{id}' ),
			'DELETE feeds/{id}'    => array( 'DELETE', 'feeds/{id}' ),
			'POST feeds/{id}/run'  => array( 'POST', 'feeds/{id}/run' ),
			'GET feeds/{id}/items' => array( 'GET', 'feeds/{id}/items' ),
			'GET worker/status'    => array( 'GET', 'worker/status' ),
		);
	}

	/**
	 * A route path with a real feed ID.
	 */
	private static function path( string $route ): string {
		return str_replace( '{id}', (string) self::create_feed()->id, $route );
	}

	/**
	 * @dataProvider routes
	 */
	public function test_anonymous_requests_are_refused_with_403( string $method, string $route ): void {
		$response = self::request( $method, self::path( $route ) );

		$this->assertSame( 403, $response->get_status() );
		$this->assertSame( 'rest_forbidden', $response->get_data()['code'] );
	}

	/**
	 * @dataProvider routes
	 */
	public function test_an_editor_is_refused_with_403( string $method, string $route ): void {
		$path = self::path( $route );
		self::act_as( 'editor' );

		$response = self::request( $method, $path );

		$this->assertSame( 403, $response->get_status() );
		$this->assertSame( 'Only administrators can manage AutomationTools.AI.', $response->get_data()['message'] );
	}

	/**
	 * @dataProvider routes
	 */
	public function test_an_administrator_passes_the_permission_check( string $method, string $route ): void {
		self::use_worker( 'http://127.0.0.1:' . Local_Server::free_port() );
		$path = self::path( $route );
		self::act_as( 'administrator' );

		$response = self::request( $method, $path );

		$this->assertNotContains( $response->get_status(), array( 401, 403 ), self::error_text( $response ) );
		if ( 'GET' === $method && 'worker/status' !== $route ) {
			$this->assertSame( 200, $response->get_status() );
		}
	}

	public function test_an_anonymous_request_learns_nothing_about_existing_feeds(): void {
		$feed = self::create_feed();

		$response = self::request( 'POST', 'feeds', array( 'url' => $feed->url ) );

		$this->assertSame( 403, $response->get_status() );
		$this->assertStringNotContainsString( 'already added', self::body_json( $response ) );
	}

	public function test_the_callback_route_wants_a_signature_not_a_login(): void {
		self::use_worker( 'http://127.0.0.1:' . Local_Server::free_port() );
		self::act_as( 'administrator' );

		$response = self::request( 'POST', 'worker/callback', array( 'run_id' => Contract_Fixtures::run_id() ) );

		$this->assertSame( 401, $response->get_status() );
		$this->assertSame( 'atai_callback_unsigned', $response->get_data()['code'] );
	}

	public function test_no_response_of_any_route_carries_a_secret(): void {
		update_option( Settings\WORKER_SECRET, self::WORKER_SECRET, false );
		update_option( Settings\AI_API_KEY, self::API_KEY, false );
		update_option( Settings\WORKER_URL, 'http://127.0.0.1:' . Local_Server::free_port() );
		self::act_as( 'administrator' );

		$bodies = array();
		foreach ( $this->routes() as list( $method, $route ) ) {
			$bodies[ "$method $route" ] = self::body_json( self::request( $method, self::path( $route ) ) );
		}
		$bodies['settings update'] = self::body_json( self::request( 'POST', 'settings', array( 'ai_model' => 'gpt-4o' ) ) );
		$bodies['namespace index'] = self::body_json( self::request( 'GET', '/atai/v1' ) );
		$bodies['core settings']   = self::body_json( self::request( 'GET', '/wp/v2/settings' ) );
		$bodies['callback']        = self::body_json( self::request( 'POST', 'worker/callback', array( 'run_id' => Contract_Fixtures::run_id() ) ) );

		foreach ( $bodies as $name => $body ) {
			$this->assertStringNotContainsString( self::WORKER_SECRET, $body, $name );
			$this->assertStringNotContainsString( self::API_KEY, $body, $name );
			$this->assertStringNotContainsString( 'THISKEYMUSTNEVERSHOW', $body, $name );
		}
	}
}
