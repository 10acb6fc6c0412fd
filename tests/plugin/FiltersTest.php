<?php
/**
 * A feed's filters: checked when the feed is saved, sent to the worker, and every entry they leave out
 * recorded with its reason in the feed's items, never sent again; against the real worker each filter
 * leaves out what it should before any article is fetched.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Contract;
use ATAI\Feed;
use ATAI\Feeds;
use ATAI\Filters;
use ATAI\Ledger;
use ATAI\Runs;

/**
 * Filters from the form to the ledger.
 */
final class FiltersTest extends RestTestCase {

	/** How long a run may take before the test gives up waiting (a hang guard, not a speed check). */
	const RUN_WAIT_SECONDS = 120;

	public function test_patterns_that_repeat_a_repetition_or_do_not_compile_are_refused_only_as_patterns(): void {
		self::act_as( 'administrator' );
		$url = 'https://news.example.org/filters.xml';

		$nested = Feeds\validate(
			array(
				'url'                   => $url,
				'include_keywords'      => "sport\n(\\w+\\s?)+$",
				'keywords_are_patterns' => '1',
			)
		);
		$broken = Feeds\validate(
			array(
				'url'                   => $url,
				'exclude_keywords'      => array( 'what?(' ),
				'keywords_are_patterns' => true,
			)
		);
		$plain  = Feeds\validate(
			array(
				'url'              => $url,
				'exclude_keywords' => array( 'what?(' ),
			)
		);

		$this->assertSame( 'Only entries with: the pattern "(\\w+\\s?)+$" cannot be used: it repeats a group that already repeats (such as (a+)+), which can take forever.', Feeds\field_messages( $nested )['include_keywords'] );
		$this->assertSame( 'Never entries with: the pattern "what?(" cannot be used: it is not a valid regular expression.', Feeds\field_messages( $broken )['exclude_keywords'] );
		$this->assertIsArray( $plain, 'As a keyword, "what?(" is just text.' );
		$this->assertSame( array( 'what?(' ), $plain['exclude_keywords'] );
	}

	/**
	 * The same patterns the worker's guard refuses and accepts (tests/worker/test_filters.py).
	 */
	public function test_the_nesting_guard_agrees_with_the_workers(): void {
		foreach ( array( '(a+)+$', '(\\w+\\s?)*x', '(?:x*){2,}', '((ab)*c)+', '(a{2,})+' ) as $refused ) {
			$this->assertTrue( Filters\nests_repetition( $refused ), $refused );
		}
		foreach ( array( '(ab)+', '[(+]+', '\\(a+\\)+', '(a|b)?c+', '(x{1,3}){2}', 'colou?r' ) as $accepted ) {
			$this->assertFalse( Filters\nests_repetition( $accepted ), $accepted );
		}
	}

	public function test_the_filters_travel_in_the_run_request_as_the_contract_says(): void {
		$feed = self::create_feed(
			array(
				'include_keywords' => array( 'harbour', 'sea wall' ),
				'exclude_keywords' => "sponsored\nadvert",
				'keywords_in'      => 'title',
				'include_match'    => 'all',
				'whole_words'      => false,
				'max_age_days'     => 14,
				'min_words'        => 50,
			)
		);

		$request = json_decode( wp_json_encode( Runs\run_request( $feed ) ), true );

		$this->assertTrue( Contract\validate( 'RunRequest', $request ) );
		$this->assertSame(
			array(
				'include_keywords'      => array( 'harbour', 'sea wall' ),
				'exclude_keywords'      => array( 'sponsored', 'advert' ),
				'keywords_in'           => 'title',
				'include_match'         => 'all',
				'whole_words'           => false,
				'keywords_are_patterns' => false,
				'max_age_days'          => 14,
				'min_words'             => 50,
			),
			array_intersect_key( $request['options'], \ATAI\Filters\feed_options() )
		);
	}

	public function test_a_skipped_entry_keeps_its_reason_is_never_sent_again_and_a_posted_one_stays_posted(): void {
		$feed    = self::create_feed();
		$run_id  = Contract_Fixtures::run_id();
		$posted  = Contract_Fixtures::draft( $feed->id, 'already-posted' );
		$skipped = Contract_Fixtures::skipped( $feed->id, 'left-out' );
		Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $posted ) );

		Ledger\record_skipped( $feed->id, $run_id, array( $skipped, Contract_Fixtures::skipped( $feed->id, 'already-posted' ) ) );
		Ledger\record_skipped( $feed->id, Contract_Fixtures::run_id(), array( Contract_Fixtures::skipped( $feed->id, 'left-out', array( 'reason' => 'filters: a later run' ) ) ) );

		$row = Ledger\get( $skipped['key'] );
		$this->assertSame( array( 'skipped', 'filter_excluded', $skipped['reason'], $run_id ), array( $row['state'], $row['error_code'], $row['error_message'], $row['run_id'] ) );
		$this->assertSame( 'posted', Ledger\get( $posted['key'] )['state'] );
		$this->assertContains( $skipped['key'], Ledger\seen_keys( $feed->id, null ) );
		$this->assertFalse( Ledger\has_retryable_failures( $feed->id ) );
	}

	/**
	 * Run a feed through the real worker to the end; returns its items by title.
	 *
	 * @param Feed $feed The feed.
	 * @return array<string, array<string, mixed>>
	 */
	private function items_after_a_run( Feed $feed ): array {
		self::use_worker( self::env( 'ATAI_TEST_WORKER_URL' ), self::env( 'ATAI_TEST_WORKER_SECRET' ) );
		$dispatched = Runs\dispatch( $feed );
		$this->assertIsArray( $dispatched, is_wp_error( $dispatched ) ? $dispatched->get_error_message() : '' );
		$give_up = microtime( true ) + self::RUN_WAIT_SECONDS;
		while ( null !== Feeds\get( $feed->id )->run_id ) {
			if ( microtime( true ) > $give_up ) {
				$this->fail( 'The worker did not finish the run; the feed says: ' . Feeds\get( $feed->id )->last_error );
			}
			Runs\collect( Feeds\get( $feed->id ), microtime( true ) + 20 );
			usleep( 200000 );
		}
		$items = array();
		foreach ( self::request( 'GET', 'feeds/' . $feed->id . '/items', array( 'per_page' => 200 ) )->get_data() as $item ) {
			$items[ $item['title'] ] = $item;
		}
		return $items;
	}

	/**
	 * The titles of a generated feed of the origin, in order.
	 *
	 * @return string[]
	 */
	private static function titles( string $url ): array {
		$xml = simplexml_load_string( wp_remote_retrieve_body( wp_remote_get( $url ) ) );
		$titles = array();
		foreach ( $xml->channel->item as $item ) {
			$titles[] = (string) $item->title;
		}
		return $titles;
	}

	public function test_each_filter_leaves_out_entries_with_the_reason_in_the_items_list_before_any_article_is_fetched(): void {
		self::act_as( 'administrator' );
		$name   = 'filters-' . strtolower( wp_generate_password( 6, false ) );
		$url    = self::origin( "/gen/{$name}.xml?items=6&summary_only=1" );
		$titles = self::titles( $url );
		$feed   = self::create_feed(
			array(
				'url'              => $url,
				'post_status'      => 'publish',
				'exclude_keywords' => array( "{$name} #2" ),
				'include_keywords' => array( "{$name} #1", "{$name} #2", "{$name} #3", "{$name} #4", "{$name} #5" ),
				'whole_words'      => false,
				'max_age_days'     => 3650,
				'min_words'        => 3,
				'max_posts'        => 2,
			)
		);

		$items = $this->items_after_a_run( $feed );

		$this->assertSame( 'skipped', $items[ $titles[1] ]['state'] );
		$this->assertSame( array( 'filter_excluded', "filters: the title or text contains \u{201c}{$name} #2\u{201d}, which this feed excludes" ), array( $items[ $titles[1] ]['skip']['reason'], $items[ $titles[1] ]['skip']['message'] ) );
		$this->assertSame( 'filter_not_included', $items[ $titles[5] ]['skip']['reason'] );
		$this->assertSame( array( 'posted', 'posted' ), array( $items[ $titles[0] ]['state'], $items[ $titles[2] ]['state'] ) );
		$this->assertArrayNotHasKey( $titles[3], $items, 'Entries over the cap wait for the next run.' );
		$articles = array_filter( self::origin_log(), static fn( array $request ) => str_starts_with( $request['path'], "/gen/articles/{$name}-" ) );
		$fetched = array_values( array_unique( array_column( $articles, 'path' ) ) );
		sort( $fetched ); // Items are worked on at once, in any order.
		$this->assertSame( array( "/gen/articles/{$name}-1.html", "/gen/articles/{$name}-3.html" ), $fetched, 'Only the kept entries\' pages were fetched.' );
	}

	public function test_too_old_and_too_short_entries_are_left_out_with_the_reason(): void {
		self::act_as( 'administrator' );
		$url   = self::origin( '/files/feeds/old-and-short.xml' );
		$old   = self::create_feed(
			array(
				'url'          => $url,
				'max_age_days' => 30,
			)
		);
		$short = self::create_feed(
			array(
				'url'       => $url . '?copy=1',
				'min_words' => 20,
			)
		);

		$old_items   = $this->items_after_a_run( $old );
		$short_items = $this->items_after_a_run( $short );

		$keeper = 'The lighthouse keeper retires after forty years';
		$quay   = 'Quay closed at high water';
		$this->assertSame( 'filter_too_old', $old_items[ $keeper ]['skip']['reason'] );
		$this->assertMatchesRegularExpression( "/^filters: published \\d+ days ago, older than this feed's limit of 30 days$/", $old_items[ $keeper ]['skip']['message'] );
		$this->assertNotSame( 'skipped', $old_items[ $quay ]['state'], 'An entry without a date is kept.' );
		$this->assertSame( array( 'skipped', 'filter_too_short', "filters: 5 words in the feed, fewer than this feed's minimum of 20" ), array( $short_items[ $quay ]['state'], $short_items[ $quay ]['skip']['reason'], $short_items[ $quay ]['skip']['message'] ) );
		$this->assertNotSame( 'skipped', $short_items[ $keeper ]['state'] );
	}
}
