<?php
/**
 * Settings: defaults, one sanitizer on save and on read, write-only secrets, wp-config.php constants.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Settings;

/**
 * The options behind the settings page and the settings REST route.
 */
final class SettingsTest extends RestTestCase {

	const SECRET  = 'worker-secret-1234567890-abcd';
	const API_KEY = 'sk-test-0000-1111-2222-wxyz';

	public function test_every_setting_has_its_default_before_anything_is_saved(): void {
		$this->assertSame( 'http://127.0.0.1:8090', Settings\get( Settings\WORKER_URL ) );
		$this->assertSame( '', Settings\get( Settings\WORKER_SECRET ) );
		$this->assertTrue( Settings\get( Settings\AI_ENABLED ) );
		$this->assertSame( '', Settings\get( Settings\AI_BASE_URL ) );
		$this->assertSame( '', Settings\get( Settings\AI_API_KEY ) );
		$this->assertSame( '', Settings\get( Settings\AI_MODEL ) );
		$this->assertSame( 8, Settings\get( Settings\AI_MAX_IN_FLIGHT ) );
	}

	public function test_values_are_cleaned_when_saved(): void {
		update_option( Settings\WORKER_URL, '  http://worker:8090/  ' );
		update_option( Settings\WORKER_SECRET, "  pasted-secret\n" );
		update_option( Settings\AI_MODEL, ' <b>gpt-4o</b> ' );
		update_option( Settings\AI_MAX_IN_FLIGHT, '16' );

		$this->assertSame( 'http://worker:8090', get_option( Settings\WORKER_URL ) );
		$this->assertSame( 'pasted-secret', get_option( Settings\WORKER_SECRET ) );
		$this->assertSame( 'gpt-4o', get_option( Settings\AI_MODEL ) );
		$this->assertSame( 16, get_option( Settings\AI_MAX_IN_FLIGHT ) );
	}

	public function test_a_value_that_cannot_be_used_keeps_the_saved_one_and_says_why_on_the_form(): void {
		update_option( Settings\WORKER_URL, 'http://worker:8090' );

		update_option( Settings\WORKER_URL, 'ftp://worker' );
		update_option( Settings\AI_MAX_IN_FLIGHT, 65 );

		$this->assertSame( 'http://worker:8090', get_option( Settings\WORKER_URL ) );
		$this->assertSame( 8, Settings\get( Settings\AI_MAX_IN_FLIGHT ) );
		$messages = array_column( get_settings_errors(), 'message', 'setting' );
		$this->assertStringStartsWith( 'Worker URL: enter the worker\'s address', $messages[ Settings\WORKER_URL ] );
		$this->assertSame( 'Parallel AI requests: enter a number from 1 to 64.', $messages[ Settings\AI_MAX_IN_FLIGHT ] );
	}

	public function test_a_bad_value_in_the_database_reads_as_the_default(): void {
		global $wpdb;
		$wpdb->replace(
			$wpdb->options,
			array(
				'option_name'  => Settings\WORKER_URL,
				'option_value' => 'javascript:alert(1)',
				'autoload'     => 'yes',
			)
		);
		$wpdb->replace(
			$wpdb->options,
			array(
				'option_name'  => Settings\AI_MAX_IN_FLIGHT,
				'option_value' => '1000',
				'autoload'     => 'yes',
			)
		);
		wp_cache_flush();

		$this->assertSame( 'http://127.0.0.1:8090', Settings\get( Settings\WORKER_URL ) );
		$this->assertSame( 8, Settings\get( Settings\AI_MAX_IN_FLIGHT ) );
	}

	public function test_secrets_are_stored_without_autoload(): void {
		global $wpdb;
		update_option( Settings\WORKER_SECRET, self::SECRET );
		update_option( Settings\AI_API_KEY, self::API_KEY );

		// WordPress 6.6 writes 'off' where older cores wrote 'no', and names the values it loads up front.
		$autoloaded = function_exists( 'wp_autoload_values_to_autoload' ) ? wp_autoload_values_to_autoload() : array( 'yes' );
		wp_cache_flush();
		foreach ( Settings\SECRETS as $option ) {
			$autoload = $wpdb->get_var( $wpdb->prepare( "SELECT autoload FROM {$wpdb->options} WHERE option_name = %s", $option ) );
			$this->assertContains( $autoload, array( 'no', 'off' ), $option );
			$this->assertNotContains( $autoload, $autoloaded, $option );
			$this->assertArrayNotHasKey( $option, wp_load_alloptions(), $option );
		}
	}

	public function test_the_settings_form_keeps_a_saved_secret_when_its_field_is_left_empty(): void {
		update_option( Settings\WORKER_SECRET, self::SECRET );
		$_POST['option_page'] = Settings\GROUP;

		update_option( Settings\WORKER_SECRET, '' );
		update_option( Settings\AI_API_KEY, null );

		$this->assertSame( self::SECRET, get_option( Settings\WORKER_SECRET ) );
		$this->assertSame( '', get_option( Settings\AI_API_KEY ) );
	}

	public function test_the_settings_form_replaces_a_secret_typed_into_its_field(): void {
		update_option( Settings\WORKER_SECRET, self::SECRET );
		$_POST['option_page'] = Settings\GROUP;

		update_option( Settings\WORKER_SECRET, 'a-new-secret-value' );

		$this->assertSame( 'a-new-secret-value', get_option( Settings\WORKER_SECRET ) );
	}

	public function test_the_settings_form_clears_a_secret_whose_clear_box_is_ticked(): void {
		update_option( Settings\WORKER_SECRET, self::SECRET );
		update_option( Settings\AI_API_KEY, self::API_KEY );
		$_POST['option_page']          = Settings\GROUP;
		$_POST[ Settings\CLEAR_FIELD ] = array( Settings\AI_API_KEY );

		update_option( Settings\WORKER_SECRET, '' );
		update_option( Settings\AI_API_KEY, '' );

		$this->assertSame( self::SECRET, get_option( Settings\WORKER_SECRET ) );
		$this->assertSame( '', get_option( Settings\AI_API_KEY ) );
	}

	public function test_rest_settings_show_secrets_only_as_set_with_a_masked_hint(): void {
		update_option( Settings\WORKER_SECRET, self::SECRET );
		self::act_as( 'administrator' );

		$response = self::request( 'GET', 'settings' );

		$this->assertSame( 200, $response->get_status() );
		$data = $response->get_data();
		$this->assertTrue( $data['worker_secret_set'] );
		$this->assertSame( '…abcd', $data['worker_secret_hint'] );
		$this->assertFalse( $data['ai_api_key_set'] );
		$this->assertSame( '', $data['ai_api_key_hint'] );
		$this->assertArrayNotHasKey( 'worker_secret', $data );
		$this->assertArrayNotHasKey( 'ai_api_key', $data );
		$this->assertSame( 'option', $data['worker_secret_source'] );
		$this->assertStringNotContainsString( self::SECRET, self::body_json( $response ) );
	}

	public function test_a_short_secret_shows_no_characters_in_its_hint(): void {
		$this->assertSame( '…', Settings\mask( 'short' ) );
		$this->assertSame( '…wxyz', Settings\mask( self::API_KEY ) );
		$this->assertSame( '', Settings\mask( '' ) );
	}

	public function test_rest_settings_update_saves_secrets_without_echoing_them(): void {
		self::act_as( 'administrator' );

		$response = self::request(
			'POST',
			'settings',
			array(
				'worker_url'       => 'http://worker:8090/',
				'worker_secret'    => self::SECRET,
				'ai_api_key'       => self::API_KEY,
				'ai_enabled'       => false,
				'ai_max_in_flight' => 12,
			)
		);

		$this->assertSame( 200, $response->get_status(), self::error_text( $response ) );
		$this->assertStringNotContainsString( self::SECRET, self::body_json( $response ) );
		$this->assertStringNotContainsString( self::API_KEY, self::body_json( $response ) );
		$this->assertTrue( $response->get_data()['ai_api_key_set'] );
		$this->assertSame( 'http://worker:8090', $response->get_data()['worker_url'] );
		$this->assertFalse( $response->get_data()['ai_enabled'] );
		$this->assertSame( 12, $response->get_data()['ai_max_in_flight'] );
		$this->assertSame( self::SECRET, Settings\get( Settings\WORKER_SECRET ) );
	}

	public function test_an_empty_secret_sent_to_rest_clears_it(): void {
		update_option( Settings\AI_API_KEY, self::API_KEY );
		self::act_as( 'administrator' );

		$response = self::request( 'POST', 'settings', array( 'ai_api_key' => '' ) );

		$this->assertFalse( $response->get_data()['ai_api_key_set'] );
		$this->assertSame( '', Settings\get( Settings\AI_API_KEY ) );
	}

	public function test_rest_settings_update_refuses_bad_values_naming_the_field_and_saves_nothing(): void {
		self::act_as( 'administrator' );

		$url    = self::request(
			'POST',
			'settings',
			array(
				'ai_model'   => 'changed',
				'worker_url' => 'not a url',
			)
		);
		$number = self::request( 'POST', 'settings', array( 'ai_max_in_flight' => 0 ) );

		$this->assertSame( 400, $url->get_status() );
		$this->assertStringContainsString( 'worker_url: Worker URL: enter the worker\'s address', self::error_text( $url ) );
		$this->assertSame( 400, $number->get_status() );
		$this->assertStringContainsString( 'Parallel AI requests: enter a number from 1 to 64.', self::error_text( $number ) );
		$this->assertSame( '', Settings\get( Settings\AI_MODEL ) );
	}

	public function test_the_callback_url_is_our_rest_route(): void {
		$this->assertSame( rest_url( 'atai/v1/worker/callback' ), Settings\callback_url() );
	}

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_wp_config_constants_override_the_worker_url_secret_and_callback_url(): void {
		update_option( Settings\WORKER_URL, 'http://from-option:8090' );
		update_option( Settings\WORKER_SECRET, 'secret-from-the-option-1234' );
		define( 'ATAI_WORKER_URL', 'http://worker:8090/' );
		define( 'ATAI_WORKER_SECRET', 'secret-from-wp-config-5678' );
		define( 'ATAI_CALLBACK_URL', 'http://wordpress/wp-json/atai/v1/worker/callback' );
		self::act_as( 'administrator' );

		$read   = self::request( 'GET', 'settings' );
		$change = self::request( 'POST', 'settings', array( 'worker_secret' => 'another' ) );

		$this->assertSame( 'http://worker:8090', Settings\get( Settings\WORKER_URL ) );
		$this->assertSame( 'secret-from-wp-config-5678', Settings\get( Settings\WORKER_SECRET ) );
		$this->assertSame( 'http://wordpress/wp-json/atai/v1/worker/callback', Settings\callback_url() );
		$this->assertSame( 'constant', $read->get_data()['worker_url_source'] );
		$this->assertSame( 'constant', $read->get_data()['worker_secret_source'] );
		$this->assertSame( '…5678', $read->get_data()['worker_secret_hint'] );
		$this->assertSame( 400, $change->get_status() );
		$this->assertStringContainsString( 'ATAI_WORKER_SECRET in wp-config.php', $change->get_data()['message'] );
	}

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_while_the_secret_is_set_in_wp_config_the_worker_url_cannot_be_changed_here_so_the_secret_goes_nowhere_else(): void {
		$secret = 'constant-secret-for-the-real-worker-only-7788';
		update_option( Settings\WORKER_URL, 'http://127.0.0.1:' . Local_Server::free_port() );
		$saved = Settings\get( Settings\WORKER_URL );
		define( 'ATAI_WORKER_SECRET', $secret );
		self::act_as( 'administrator' );
		// The fake origin stands for an address of someone else's choosing: it logs every header it receives.
		$elsewhere = self::origin( '/collect' );

		$rest                 = self::request( 'POST', 'settings', array( 'worker_url' => $elsewhere ) );
		$_POST['option_page'] = Settings\GROUP;
		update_option( Settings\WORKER_URL, $elsewhere ); // What options.php does with the settings form.
		$status = self::request( 'GET', 'worker/status' ); // Test connection.

		$this->assertSame( 400, $rest->get_status() );
		$this->assertSame( 'atai_setting_locked', $rest->get_data()['code'] );
		$this->assertSame( 'Worker URL: the shared secret is set by ATAI_WORKER_SECRET in wp-config.php, so the worker URL can only be changed there too (ATAI_WORKER_URL): an address typed here would receive that secret.', $rest->get_data()['message'] );
		$this->assertSame( array( $rest->get_data()['message'] ), array_column( get_settings_errors( Settings\WORKER_URL ), 'message' ) );
		$this->assertSame( $saved, Settings\get( Settings\WORKER_URL ) );
		$this->assertSame( 'atai_worker_unreachable', $status->get_data()['code'] );
		foreach ( self::origin_log() as $request ) {
			$this->assertStringNotContainsString( $secret, (string) wp_json_encode( $request ), 'The secret reached an address typed on the settings page.' );
		}
	}

	public function test_the_worker_url_can_be_changed_here_while_the_secret_is_saved_here_too(): void {
		self::act_as( 'administrator' );

		$response = self::request( 'POST', 'settings', array( 'worker_url' => 'http://worker-two:8090' ) );

		$this->assertSame( 200, $response->get_status(), self::error_text( $response ) );
		$this->assertFalse( Settings\worker_url_locked() );
		$this->assertSame( 'http://worker-two:8090', Settings\get( Settings\WORKER_URL ) );
	}
}
