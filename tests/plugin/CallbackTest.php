<?php
/**
 * The worker's signed callback: no login, an HMAC of the body with the shared secret.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Callback;
use ATAI\Clock;
use ATAI\Contract;
use ATAI\Feeds;
use ATAI\Lock;
use ATAI\Runs;

/**
 * Signatures checked in constant time; stale, wrong and missing ones refused with 401.
 */
final class CallbackTest extends RestTestCase {

	const SECRET = 'callback-secret-4d1e8b6a9f';

	protected function setUp(): void {
		parent::setUp();
		self::use_worker( 'http://127.0.0.1:' . Local_Server::free_port(), self::SECRET );
	}

	/**
	 * The headers the worker sends for a body.
	 *
	 * @return array<string, string>
	 */
	private static function signed( string $body, int $timestamp, string $secret = self::SECRET ): array {
		return self::callback_headers( $body, $timestamp, $secret );
	}

	/**
	 * A feed whose current run, started half a minute ago, is $run_id.
	 */
	private static function feed_with_run( string $run_id ): \ATAI\Feed {
		return self::set_feed_columns(
			self::create_feed()->id,
			array(
				'run_id'         => $run_id,
				'run_started_at' => Clock\utc( -30 ),
			)
		);
	}

	public function test_a_validly_signed_callback_for_an_unknown_run_is_accepted_and_ignored(): void {
		$run_id = Contract_Fixtures::run_id();
		$body   = self::callback_body( $run_id );

		$response = self::post_callback( $body, self::signed( $body, time() ) );

		$this->assertSame( 200, $response->get_status() );
		$this->assertSame(
			array(
				'collected' => false,
				'known'     => false,
				'run_id'    => $run_id,
			),
			$response->get_data()
		);
		$this->assertTrue( Contract\validate( 'CallbackResult', $response->get_data(), 'body' ) );
	}

	public function test_a_callback_for_a_run_being_collected_is_owed_to_that_collection(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id );
		$body = self::callback_body( $run_id );
		Lock\acquire( 'run_' . $run_id ); // a collection of the run is in progress

		$response = self::post_callback( $body, self::signed( $body, time() ) );
		Lock\release( 'run_' . $run_id );

		$this->assertSame( 200, $response->get_status() );
		$this->assertTrue( Contract\validate( 'CallbackResult', $response->get_data(), 'body' ) );
		$this->assertSame( array( false, true, true ), array( $response->get_data()['collected'], $response->get_data()['known'], $response->get_data()['owed'] ) );
		$this->assertSame( 'atai_run_busy', $response->get_data()['error']['code'] );
		// The collection in progress takes it when it ends; nothing else changed on the feed.
		$this->assertTrue( Runs\take_owed_collection( $feed->id, $run_id ) );
		$this->assertSame( '', Feeds\get( $feed->id )->last_error );
	}

	public function test_a_validly_signed_callback_collects_that_run_at_once(): void {
		$run_id = Contract_Fixtures::run_id();
		$feed   = self::feed_with_run( $run_id );
		$body = self::callback_body( $run_id );

		$response = self::post_callback( $body, self::signed( $body, time() ) );

		// The worker URL points at a closed port: collecting was tried and says why it did not finish.
		$this->assertSame( 200, $response->get_status() );
		$this->assertFalse( $response->get_data()['collected'] );
		$this->assertSame( 'atai_worker_unreachable', $response->get_data()['error']['code'] );
		$this->assertStringStartsWith( 'Could not reach the worker', Feeds\get( $feed->id )->last_error );
		$this->assertSame( $run_id, Feeds\get( $feed->id )->run_id );
	}

	public function test_the_signature_matches_the_contracts_recipe(): void {
		$this->assertSame(
			'sha256=' . hash_hmac( 'sha256', '1700000000.{"run_id":"x"}', 'k' ),
			Callback\signature( '1700000000', '{"run_id":"x"}', 'k' )
		);
	}

	public function test_a_callback_signed_with_another_secret_is_refused(): void {
		$body = self::callback_body( Contract_Fixtures::run_id() );

		$response = self::post_callback( $body, self::signed( $body, time(), 'not-the-secret' ) );

		$this->assertSame( 401, $response->get_status() );
		$this->assertSame( 'atai_callback_bad_signature', $response->get_data()['code'] );
	}

	public function test_a_callback_whose_body_was_changed_after_signing_is_refused(): void {
		$body    = self::callback_body( Contract_Fixtures::run_id() );
		$headers = self::signed( $body, time() );

		$response = self::post_callback( self::callback_body( Contract_Fixtures::run_id() ), $headers );

		$this->assertSame( 401, $response->get_status() );
		$this->assertSame( 'atai_callback_bad_signature', $response->get_data()['code'] );
	}

	public function test_a_callback_signed_more_than_five_minutes_ago_or_ahead_is_refused(): void {
		$body = self::callback_body( Contract_Fixtures::run_id() );

		$old    = self::post_callback( $body, self::signed( $body, time() - 301 ) );
		$future = self::post_callback( $body, self::signed( $body, time() + 301 ) );
		$fresh  = self::post_callback( $body, self::signed( $body, time() - 290 ) );

		$this->assertSame( 401, $old->get_status() );
		$this->assertSame( 'atai_callback_stale', $old->get_data()['code'] );
		$this->assertSame( 401, $future->get_status() );
		$this->assertSame( 200, $fresh->get_status() );
	}

	public function test_a_replayed_callback_is_refused_while_a_fresh_one_is_accepted(): void {
		$body    = self::callback_body( Contract_Fixtures::run_id() );
		$headers = self::signed( $body, time() );

		$first  = self::post_callback( $body, $headers );
		$replay = self::post_callback( $body, $headers );
		$fresh  = self::post_callback( $body, self::signed( $body, time() - 1 ) );

		$this->assertSame( 200, $first->get_status() );
		$this->assertSame( 401, $replay->get_status() );
		$this->assertSame( 'atai_callback_replayed', $replay->get_data()['code'] );
		$this->assertSame( 'callback: this signed request was received before; each callback is accepted once.', $replay->get_data()['message'] );
		$this->assertSame( 200, $fresh->get_status() );
	}

	public function test_a_seen_signature_is_forgotten_once_its_timestamp_is_too_old_to_be_accepted(): void {
		global $wpdb;
		$table = \ATAI\Schema\seen_callbacks_table();
		$wpdb->insert(
			$table,
			array(
				'signature'  => str_repeat( 'a', 64 ),
				'expires_at' => gmdate( 'Y-m-d H:i:s', time() - 1 ),
			)
		);
		$body    = self::callback_body( Contract_Fixtures::run_id() );
		$headers = self::signed( $body, time() );

		self::post_callback( $body, $headers );

		$count = static fn( string $signature ): string => $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$table} WHERE signature = %s", $signature ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$this->assertSame( '0', $count( str_repeat( 'a', 64 ) ) );
		$this->assertSame( '1', $count( hash( 'sha256', $headers['X-ATAI-Signature'] ) ) );
	}

	public function test_a_callback_without_signature_headers_is_refused_even_for_a_logged_in_administrator(): void {
		self::act_as( 'administrator' );
		$body = self::callback_body( Contract_Fixtures::run_id() );

		$none = self::post_callback( $body, array() );
		$half = self::post_callback( $body, array( 'X-ATAI-Timestamp' => (string) time() ) );

		$this->assertSame( 401, $none->get_status() );
		$this->assertSame( 'atai_callback_unsigned', $none->get_data()['code'] );
		$this->assertSame( 401, $half->get_status() );
	}

	public function test_no_callback_is_trusted_while_no_shared_secret_is_set(): void {
		update_option( \ATAI\Settings\WORKER_SECRET, '' );
		$body = self::callback_body( Contract_Fixtures::run_id() );

		$response = self::post_callback( $body, self::signed( $body, time(), '' ) );

		$this->assertSame( 401, $response->get_status() );
		$this->assertSame( 'atai_callback_not_configured', $response->get_data()['code'] );
	}

	public function test_a_signed_callback_with_a_body_outside_the_contract_is_refused_with_400(): void {
		$body = '{"run_id":"not-a-run-id","state":"done"}';

		$response = self::post_callback( $body, self::signed( $body, time() ) );

		$this->assertSame( 400, $response->get_status() );
		$this->assertStringContainsString( 'run_id', $response->get_data()['message'] );
	}
}
