<?php
/**
 * Site Health: the worker, its contract version and queue, WP-Cron's tick; the Info section without secrets.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Cron;
use ATAI\Health;
use ATAI\Settings;
use ATAI\Site_Health;

/**
 * The tests run against the real worker, a closed port, and canned answers of other worker releases.
 */
final class SiteHealthTest extends RestTestCase {

	/**
	 * Canned answers (tests/plugin/fixtures/worker-responses.php).
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
	 * Run one of our tests against the worker at this URL.
	 *
	 * @return array<string, mixed>
	 */
	private static function run_test( string $test, string $worker_url, string $secret = 'test-secret-0123456789abcdef' ): array {
		self::use_worker( $worker_url, $secret );
		Site_Health\worker_status( true );
		return call_user_func( 'ATAI\\Site_Health\\test_' . $test );
	}

	public function test_site_health_lists_the_worker_queue_and_schedule_tests(): void {
		$tests = apply_filters( 'site_status_tests', array( 'direct' => array(), 'async' => array() ) );

		$this->assertArrayHasKey( 'atai_worker', $tests['direct'] );
		$this->assertArrayHasKey( 'atai_cron', $tests['direct'] );
		$this->assertArrayHasKey( 'atai_queue', $tests['direct'] );
		$this->assertSame( rest_url( 'atai/v1/site-health/ai' ), $tests['async']['atai_ai']['test'] );
		$this->assertTrue( $tests['async']['atai_ai']['has_rest'] );
	}

	public function test_with_ai_off_the_ai_endpoint_needs_no_test(): void {
		update_option( Settings\AI_ENABLED, false );

		$this->assertSame( 'good', Site_Health\test_ai()['status'] );
		$this->assertSame( 'AI rewriting is off', Site_Health\test_ai()['label'] );
	}

	public function test_an_ai_endpoint_configured_nowhere_is_reported(): void {
		self::use_worker( self::env( 'ATAI_TEST_WORKER_URL' ), self::env( 'ATAI_TEST_WORKER_SECRET' ) );
		update_option( Settings\AI_ENABLED, true );

		$result = Site_Health\test_ai();

		$this->assertSame( 'recommended', $result['status'] );
		$this->assertSame( 'No AI endpoint is configured', $result['label'] );
	}

	public function test_an_ai_endpoint_that_does_not_answer_is_critical_in_the_workers_words_and_hides_the_key(): void {
		self::use_worker( self::env( 'ATAI_TEST_WORKER_URL' ), self::env( 'ATAI_TEST_WORKER_SECRET' ) );
		update_option( Settings\AI_ENABLED, true );
		update_option( Settings\AI_BASE_URL, 'http://127.0.0.1:' . Local_Server::free_port() . '/v1' );
		update_option( Settings\AI_API_KEY, 'sk-site-health-never-shown', false );

		$result = Site_Health\test_ai();

		$this->assertSame( 'critical', $result['status'] );
		$this->assertStringContainsString( 'test: could not connect to the AI endpoint', $result['description'] );
		$this->assertStringNotContainsString( 'sk-site-health-never-shown', wp_json_encode( $result ) );
	}

	public function test_the_ai_tests_route_is_for_administrators_and_refuses_others_with_403(): void {
		update_option( Settings\AI_ENABLED, false );
		self::act_as( 'administrator' );
		$this->assertSame( 'AI rewriting is off', self::request( 'GET', 'site-health/ai' )->get_data()['label'] );

		foreach ( array( 'subscriber', 'editor', null ) as $role ) {
			$role ? self::act_as( $role ) : wp_set_current_user( 0 );
			$this->assertSame( 403, self::request( 'GET', 'site-health/ai' )->get_status(), (string) $role );
		}
	}

	public function test_the_real_worker_is_good_and_speaks_the_plugins_contract_version(): void {
		$result = self::run_test( 'worker', self::env( 'ATAI_TEST_WORKER_URL' ), self::env( 'ATAI_TEST_WORKER_SECRET' ) );

		$this->assertSame( 'good', $result['status'], $result['description'] );
		$this->assertStringContainsString( 'speaks API version ' . Site_Health\contract_version(), $result['description'] );
		$this->assertStringNotContainsString( self::env( 'ATAI_TEST_WORKER_SECRET' ), wp_json_encode( $result ) );
	}

	public function test_a_worker_that_does_not_answer_is_critical_with_the_reason_in_words(): void {
		$url    = 'http://127.0.0.1:' . Local_Server::free_port();
		$result = self::run_test( 'worker', $url );

		$this->assertSame( 'critical', $result['status'] );
		$this->assertStringContainsString( 'cannot be reached', $result['label'] );
		$this->assertStringContainsString( "Could not reach the worker at $url: connection refused", $result['description'] );
		$this->assertStringContainsString( 'page=atai-settings', $result['actions'] );
	}

	public function test_a_worker_with_a_wrong_secret_is_critical(): void {
		$result = self::run_test( 'worker', self::env( 'ATAI_TEST_WORKER_URL' ), 'not-the-worker-secret-0123' );

		$this->assertSame( 'critical', $result['status'] );
		$this->assertStringContainsString( 'rejected the shared secret', $result['description'] );
	}

	public function test_a_worker_of_another_contract_version_is_critical_and_names_both_versions(): void {
		$result = self::run_test( 'worker', self::$server->url( '/other-contract' ) );

		$this->assertSame( 'critical', $result['status'] );
		$this->assertStringContainsString( 'speaks API version 0.9.0; this plugin speaks version ' . Site_Health\contract_version(), $result['description'] );
	}

	public function test_a_worker_that_does_not_name_its_contract_is_called_older(): void {
		$result = self::run_test( 'worker', self::$server->url( '/no-contract' ) );

		$this->assertSame( 'critical', $result['status'] );
		$this->assertStringContainsString( 'older than this plugin', $result['description'] );
	}

	public function test_a_tick_within_the_last_minutes_is_good(): void {
		update_option( Health\LAST_TICK_OPTION, time() - 30, false );

		$result = Site_Health\test_cron();

		$this->assertSame( 'good', $result['status'] );
		$this->assertMatchesRegularExpression( '/last ran \d+ seconds? ago/', $result['description'] );
	}

	public function test_a_stale_tick_is_reported_with_the_advice_to_use_the_systems_cron(): void {
		update_option( Health\LAST_TICK_OPTION, time() - 2 * HOUR_IN_SECONDS, false );

		$result = Site_Health\test_cron();

		$this->assertSame( 'recommended', $result['status'] );
		$this->assertStringContainsString( 'last ran 2 hours ago', $result['description'] );
		$this->assertStringContainsString( site_url( 'wp-cron.php' ), $result['description'] );
		$this->assertStringContainsString( 'crontab', $result['description'] );
	}

	public function test_a_schedule_that_never_ran_is_reported(): void {
		delete_option( Health\LAST_TICK_OPTION );

		$result = Site_Health\test_cron();

		$this->assertSame( 'recommended', $result['status'] );
		$this->assertStringContainsString( 'has never run', $result['description'] );
	}

	public function test_the_tick_records_when_it_ran(): void {
		delete_option( Health\LAST_TICK_OPTION );
		self::use_worker( 'http://127.0.0.1:' . Local_Server::free_port() );
		$before = time();

		Cron\tick();

		$this->assertGreaterThanOrEqual( $before, (int) get_option( Health\LAST_TICK_OPTION ) );
	}

	public function test_the_real_workers_empty_queue_is_good(): void {
		$result = self::run_test( 'queue', self::env( 'ATAI_TEST_WORKER_URL' ), self::env( 'ATAI_TEST_WORKER_SECRET' ) );

		$this->assertSame( 'good', $result['status'] );
		$this->assertMatchesRegularExpression( '/\d+ runs? waits? in the worker&#039;s queue \(sqlite\)/', $result['description'] );
	}

	public function test_a_backlog_in_the_workers_queue_is_reported_with_what_helps(): void {
		$result = self::run_test( 'queue', self::$server->url( '/backlog' ) );

		$this->assertSame( 'recommended', $result['status'] );
		$this->assertStringContainsString( '25 runs wait', $result['description'] );
		$this->assertStringContainsString( 'ATAI_CONSUMER_WORKERS', $result['description'] );
	}

	public function test_the_queue_of_a_worker_that_does_not_answer_is_unknown(): void {
		$result = self::run_test( 'queue', 'http://127.0.0.1:' . Local_Server::free_port() );

		$this->assertSame( 'recommended', $result['status'] );
		$this->assertStringContainsString( 'cannot be read', $result['label'] );
	}

	public function test_the_info_section_lists_the_settings_and_never_a_secret(): void {
		update_option( Settings\WORKER_URL, 'http://admin:hunter2@worker.example:8090' );
		update_option( Settings\WORKER_SECRET, 'shared-secret-never-shown-0123', false );
		update_option( Settings\AI_API_KEY, 'sk-never-shown-4567', false );
		update_option( Settings\AI_MODEL, 'gpt-4o-mini' );

		$info   = apply_filters( 'debug_information', array() )['automationtools-ai'];
		$fields = $info['fields'];
		$text   = wp_json_encode( $info );

		$this->assertSame( \ATAI\VERSION, $fields['version']['value'] );
		$this->assertSame( Site_Health\contract_version(), $fields['contract']['value'] );
		$this->assertSame( 'http://worker.example:8090', $fields['worker_url']['value'] );
		$this->assertSame( 'Set', $fields['worker_secret']['value'] );
		$this->assertSame( 'Set', $fields['ai_api_key']['value'] );
		$this->assertSame( 'gpt-4o-mini', $fields['ai_model']['value'] );
		foreach ( array( 'shared-secret-never-shown', 'sk-never-shown', 'hunter2' ) as $secret ) {
			$this->assertStringNotContainsString( $secret, $text );
		}
	}
}
