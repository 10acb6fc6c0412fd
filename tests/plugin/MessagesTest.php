<?php
/**
 * The worker's messages in the site's language: known codes worded through __(), others kept as sent.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Ledger;
use ATAI\Messages;
use ATAI\Runs;

/**
 * A gettext filter stands in for a translation file, as a language pack would provide one.
 */
final class MessagesTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		add_filter( 'gettext_automationtools-ai', array( self::class, 'translate' ), 10, 2 );
	}

	protected function tearDown(): void {
		remove_filter( 'gettext_automationtools-ai', array( self::class, 'translate' ), 10 );
		parent::tearDown();
	}

	/**
	 * Two messages "translated" (to upper-case German-ish words), everything else as written.
	 */
	public static function translate( string $translation, string $text ): string {
		$catalog = array(
			'fetch: got {status} from {url}' => 'abruf: {status} von {url} erhalten',
			'{stage}: this took longer than {seconds} s, the time budget of one stage (ATAI_STAGE_BUDGET); it was given up' => '{stage}: dauerte länger als {seconds} s; aufgegeben',
		);
		return $catalog[ $text ] ?? $translation;
	}

	public function test_a_known_code_is_worded_in_the_sites_language_with_its_params(): void {
		$text = Messages\text(
			'http_error',
			array(
				'status' => 404,
				'url'    => 'https://news.example.org/feed',
			),
			'fetch: got 404 from https://news.example.org/feed'
		);

		$this->assertSame( 'abruf: 404 von https://news.example.org/feed erhalten', $text );
	}

	public function test_a_whole_number_of_seconds_reads_without_decimals(): void {
		$text = Messages\text(
			'stage_timeout',
			array(
				'stage'   => 'extract',
				'seconds' => 60.0,
			),
			'extract: the item took longer than 60 s'
		);

		$this->assertSame( 'extract: dauerte länger als 60 s; aufgegeben', $text );
	}

	public function test_an_unknown_code_keeps_the_workers_english(): void {
		$this->assertSame( 'rewrite: the AI endpoint answered HTTP 500', Messages\text( 'model_http_error', array( 'status' => 500 ), 'rewrite: the AI endpoint answered HTTP 500' ) );
	}

	public function test_a_known_code_without_the_params_its_wording_needs_keeps_the_workers_english(): void {
		$this->assertSame( 'fetch: got 404 from x', Messages\text( 'http_error', array( 'status' => 404 ), 'fetch: got 404 from x' ) );
		$this->assertSame( 'fetch: got 404 from x', Messages\text( 'http_error', null, 'fetch: got 404 from x' ) );
		$this->assertSame( 'fetch: got 404 from x', Messages\text( 'http_error', array( 'status' => array( 404 ), 'url' => 'x' ), 'fetch: got 404 from x' ) );
	}

	public function test_an_item_error_and_a_failed_run_are_recorded_in_the_sites_language(): void {
		self::use_worker( 'http://127.0.0.1:' . Local_Server::free_port() );
		$feed   = self::create_feed();
		$run_id = Contract_Fixtures::run_id();
		$error  = Contract_Fixtures::item_error(
			$feed->id,
			'slow-page',
			array(
				'code'    => 'stage_timeout',
				'message' => 'extract: the item took longer than 60 s in this stage',
				'params'  => array(
					'stage'   => 'extract',
					'seconds' => 60,
				),
			)
		);
		$feed   = self::set_feed_columns( $feed->id, array( 'run_id' => $run_id ) );

		Runs\process_run( $feed, Contract_Fixtures::run( $feed->id, $run_id, array(), array( $error ) ), microtime( true ) + 10 );
		Runs\finish(
			$feed,
			Contract_Fixtures::run(
				$feed->id,
				$run_id,
				array(),
				array(),
				array(
					'state' => 'failed',
					'error' => array(
						'code'    => 'http_error',
						'message' => 'fetch: got 410 from https://news.example.org/gone',
						'params'  => array(
							'status' => 410,
							'url'    => 'https://news.example.org/gone',
						),
					),
				)
			)
		);

		$this->assertSame( 'extract: dauerte länger als 60 s; aufgegeben', Ledger\get( $error['key'] )['error_message'] );
		$this->assertSame( 'abruf: 410 von https://news.example.org/gone erhalten', \ATAI\Feeds\get( $feed->id )->last_error );
	}
}
