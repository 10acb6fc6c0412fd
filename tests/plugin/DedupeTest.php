<?php
/**
 * One story, one post (issue #12): the decision inside the import, every skip explained and undoable,
 * and a feed address refused when it differs from another only in spelling.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Dedupe;
use ATAI\Feed_Address;
use ATAI\Ledger;
use ATAI\Runs;
use ATAI\Skips;
use ATAI\Settings;

/**
 * Imports through Runs\import_drafts(), the code the tick and the callback run.
 */
final class DedupeTest extends RestTestCase {

	/**
	 * A draft of a feed whose identity has these fields.
	 *
	 * @param \ATAI\Feed           $feed     The feed.
	 * @param string               $guid     The guid.
	 * @param array<string, mixed> $identity Identity fields.
	 * @param array<string, mixed> $fields   Draft fields.
	 * @return array<string, mixed>
	 */
	private static function draft( \ATAI\Feed $feed, string $guid, array $identity, array $fields = array() ): array {
		$url = array_key_exists( 'canonical_url', $identity ) ? $identity['canonical_url'] : 'https://news.example.org/articles/' . $guid;
		return Contract_Fixtures::draft( $feed->id, $guid, $fields + array( 'identity' => Contract_Fixtures::identity( $url, $identity ) ) );
	}

	/**
	 * Import drafts as one run of a feed.
	 *
	 * @param \ATAI\Feed                       $feed   The feed.
	 * @param array<int, array<string, mixed>> $drafts Drafts.
	 * @return array<string, mixed>
	 */
	private static function import( \ATAI\Feed $feed, array $drafts ): array {
		return Runs\import_drafts( $feed, Contract_Fixtures::run_id(), $drafts );
	}

	public function test_the_fixture_identity_and_signature_match_the_contract(): void {
		$identity = Contract_Fixtures::identity( 'https://a.example/x', Contract_Fixtures::signature( 1 ) + array( 'text_hash' => str_repeat( 'a', 32 ) ) );
		$this->assertTrue( \ATAI\Contract\validate( 'Identity', $identity ) );
	}

	public function test_an_import_locks_its_own_story_only_so_other_stories_import_side_by_side(): void {
		$feed  = self::create_feed();
		$story = Contract_Fixtures::identity( 'https://news.example.org/a', Contract_Fixtures::signature( 1 ) + array( 'text_hash' => str_repeat( 'a', 32 ) ) );
		$names = Dedupe\lock_names( $story );
		// The URL, the text and each band: a draft of the same story shares one of them whatever it changed.
		$this->assertCount( 2 + count( $story['bands'] ), $names );
		$this->assertSame( $names, Dedupe\lock_names( array_reverse( $story, true ) ) );
		$edited = Contract_Fixtures::identity( 'https://other.example.com/a', Contract_Fixtures::signature( 1, 40 ) );
		$this->assertNotEmpty( array_intersect( $names, Dedupe\lock_names( $edited ) ) );

		// Another request is deciding on this story: a draft of another story imports at once.
		$other = new \mysqli( DB_HOST, DB_USER, DB_PASSWORD, DB_NAME );
		$taken = $other->query( "SELECT GET_LOCK('" . $other->real_escape_string( $names[0] ) . "', 0)" )->fetch_row()[0];
		$this->assertSame( '1', $taken );
		try {
			$posted = self::import( $feed, array( self::draft( $feed, 'another-story', Contract_Fixtures::signature( 2 ) ) ) )['posted'];
			$this->assertCount( 1, $posted );
		} finally {
			$other->query( "SELECT RELEASE_LOCK('" . $other->real_escape_string( $names[0] ) . "')" );
		}

		// What an import takes it gives back.
		$this->assertTrue( Dedupe\hold_lock( $story ) );
		Dedupe\release_lock();
		$this->assertSame( '1', $other->query( "SELECT GET_LOCK('" . $other->real_escape_string( $names[0] ) . "', 0)" )->fetch_row()[0] );
		$other->close();
	}

	public function test_the_same_article_through_a_second_feed_is_skipped_with_its_reason(): void {
		$first  = self::create_feed( array( 'title' => 'Valley Wire' ) );
		$second = self::create_feed( array( 'title' => 'Harbour Gazette' ) );
		$url    = 'https://valleywire.example/stories/bridge';

		$posted  = self::import( $first, array( self::draft( $first, 'vw-1', array( 'canonical_url' => $url ) ) ) );
		$post_id = array_values( $posted['posted'] )[0];
		$again   = self::draft( $second, 'hg-9', array( 'canonical_url' => $url ) );
		$result  = self::import( $second, array( $again ) );

		$this->assertSame( array(), $result['posted'] );
		$this->assertSame( array( $again['key'] ), $result['skipped'] );
		$item = Ledger\get( $again['key'] );
		$this->assertSame( 'skipped', $item['state'] );
		$this->assertSame( 'duplicate_url', $item['error_code'] );
		$this->assertSame( sprintf( 'Same story as post %d "The old port gets its cranes back", from feed "Valley Wire" (same article address).', $post_id ), $item['error_message'] );
		// The worker is told to skip it from now on.
		$this->assertContains( $again['key'], Ledger\seen_keys( $second->id, null ) );
	}

	public function test_guid_churn_in_one_feed_makes_no_second_post(): void {
		$feed   = self::create_feed();
		$url    = 'https://harbourgazette.example/news/bakery';
		$first  = self::import( $feed, array( self::draft( $feed, 'hg-bakery-1730000000', array( 'canonical_url' => $url ) ) ) );
		$second = self::import( $feed, array( self::draft( $feed, 'hg-bakery-1730003600', array( 'canonical_url' => $url ) ) ) );
		$this->assertCount( 1, $first['posted'] );
		$this->assertSame( array(), $second['posted'] );
		$this->assertCount( 1, $second['skipped'] );
	}

	public function test_the_same_text_under_another_address_is_skipped(): void {
		$first  = self::create_feed();
		$second = self::create_feed();
		$text   = array(
			'text_hash' => str_repeat( 'b1', 16 ),
			'words'     => 240,
		);
		self::import( $first, array( self::draft( $first, 'a', $text ) ) );
		$copy   = self::draft( $second, 'b', $text );
		$result = self::import( $second, array( $copy ) );
		$this->assertSame( array( $copy['key'] ), $result['skipped'] );
		$this->assertSame( 'duplicate_text', Ledger\get( $copy['key'] )['error_code'] );
	}

	public function test_an_edited_copy_is_skipped_at_the_threshold_and_a_look_alike_is_posted(): void {
		$wire     = self::create_feed( array( 'title' => 'Valley Wire' ) );
		$courier  = self::create_feed( array( 'title' => 'Northern Courier' ) );
		$original = self::draft( $wire, 'w', Contract_Fixtures::signature( 7 ) + array( 'words' => 300 ) );
		$post_id  = array_values( self::import( $wire, array( $original ) )['posted'] )[0];

		// 91 of 128 values equal: similarity 0.71; 58 equal: 0.45 (the default threshold); 40: 0.31.
		$edited     = self::draft( $courier, 'c1', Contract_Fixtures::signature( 7, 37 ) + array( 'words' => 280 ) );
		$borderline = self::draft( $courier, 'c2', Contract_Fixtures::signature( 7, 70 ) + array( 'words' => 280 ) );
		$look_alike = self::draft( $courier, 'c3', Contract_Fixtures::signature( 7, 88 ) + array( 'words' => 280 ) );
		$result     = self::import( $courier, array( $edited, $borderline, $look_alike ) );

		$this->assertSame( array( $edited['key'], $borderline['key'] ), $result['skipped'] );
		$this->assertSame( array( $look_alike['key'] ), array_keys( $result['posted'] ) );
		$this->assertSame(
			sprintf( 'Same story as post %d "The old port gets its cranes back", from feed "Valley Wire" (similarity 0.71).', $post_id ),
			Ledger\get( $edited['key'] )['error_message']
		);
		$this->assertSame( 'near_duplicate', Ledger\get( $borderline['key'] )['error_code'] );
	}

	public function test_the_site_threshold_and_window_decide_near_duplicates(): void {
		$feed = self::create_feed();
		self::import( $feed, array( self::draft( $feed, 'old', Contract_Fixtures::signature( 3 ) + array( 'words' => 300 ) ) ) );
		update_option( Settings\DEDUPE_THRESHOLD, 80 );
		$edited = self::draft( $feed, 'edited', Contract_Fixtures::signature( 3, 37 ) + array( 'words' => 300 ) );
		$this->assertCount( 1, self::import( $feed, array( $edited ) )['posted'], 'similarity 0.71 is below 80%' );

		update_option( Settings\DEDUPE_THRESHOLD, 45 );
		global $wpdb;
		$wpdb->query( 'UPDATE ' . Dedupe\identities_table() . " SET created_at = '2001-01-01 00:00:00'" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$late = self::draft( $feed, 'late', Contract_Fixtures::signature( 3, 20 ) + array( 'words' => 300 ) );
		$this->assertCount( 1, self::import( $feed, array( $late ) )['posted'], 'posts older than the window are not compared' );
	}

	public function test_short_texts_and_missing_addresses_are_never_merged(): void {
		$feed  = self::create_feed();
		$first = self::draft( $feed, 'tide-1', array( 'canonical_url' => null ) );
		$other = self::draft( $feed, 'tide-2', array( 'canonical_url' => null ) );
		$this->assertCount( 2, self::import( $feed, array( $first, $other ) )['posted'] );
	}

	public function test_import_anyway_makes_the_post_through_rest_and_only_once(): void {
		$first  = self::create_feed();
		$second = self::create_feed();
		$url    = 'https://valleywire.example/stories/library';
		self::import( $first, array( self::draft( $first, 'x', array( 'canonical_url' => $url ) ) ) );
		$copy = self::draft( $second, 'y', array( 'canonical_url' => $url ) );
		self::import( $second, array( $copy ) );

		self::act_as( 'administrator' );
		$items = self::request( 'GET', "feeds/{$second->id}/items" )->get_data();
		$this->assertSame( 'skipped', $items[0]['state'] );
		$this->assertNull( $items[0]['error'] );
		$this->assertSame( 'same_url', $items[0]['skip']['reason'] );
		$this->assertSame( $first->id, $items[0]['skip']['feed_id'] );
		$this->assertStringStartsWith( 'Same story as post ', $items[0]['skip']['message'] );

		$response = self::request( 'POST', "feeds/{$second->id}/items/{$copy['key']}/import" );
		$this->assertSame( 201, $response->get_status() );
		$post_id = $response->get_data()['post_id'];
		$this->assertSame( 'The old port gets its cranes back', get_post( $post_id )->post_title );
		$item = Ledger\get( $copy['key'] );
		$this->assertSame( array( 'posted', $post_id ), array( $item['state'], $item['post_id'] ) );
		$this->assertSame( array(), Skips\skips( array( $copy['key'] ) ) );

		$again = self::request( 'POST', "feeds/{$second->id}/items/{$copy['key']}/import" );
		$this->assertSame( 404, $again->get_status() );
		$this->assertSame( 404, self::request( 'POST', "feeds/{$first->id}/items/{$copy['key']}/import" )->get_status() );
	}

	public function test_import_anyway_needs_an_administrator(): void {
		$feed = self::create_feed();
		self::act_as( 'editor' );
		$this->assertSame( 403, self::request( 'POST', "feeds/{$feed->id}/items/" . str_repeat( 'a', 64 ) . '/import' )->get_status() );
	}

	public function test_a_newer_version_flags_the_post_when_the_feed_asks_for_it(): void {
		$feed    = self::create_feed( array( 'flag_updates' => true ) );
		$url     = 'https://harbourgazette.example/news/seawall';
		$post_id = array_values( self::import( $feed, array( self::draft( $feed, 'v1', array( 'canonical_url' => $url, 'words' => 200 ) ) ) )['posted'] )[0];
		$longer  = self::draft( $feed, 'v2', array( 'canonical_url' => $url, 'words' => 320 ) );
		self::import( $feed, array( $longer ) );
		$this->assertSame( $longer['key'], get_post_meta( $post_id, Skips\META_UPDATE, true )['item_key'] );
		$this->assertStringEndsWith( 'the post is flagged for review.', Ledger\get( $longer['key'] )['error_message'] );
	}

	public function test_a_deleted_post_no_longer_holds_its_story(): void {
		global $wpdb;
		$feed    = self::create_feed();
		$url     = 'https://harbourgazette.example/news/kites';
		$post_id = array_values( self::import( $feed, array( self::draft( $feed, 'k1', array( 'canonical_url' => $url ) + Contract_Fixtures::signature( 5 ) ) ) )['posted'] )[0];
		$this->assertSame( '42', $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Dedupe\bands_table() ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		wp_delete_post( $post_id, true );
		$this->assertSame( '0', $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Dedupe\bands_table() ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name is ours.
		$this->assertCount( 1, self::import( $feed, array( self::draft( $feed, 'k2', array( 'canonical_url' => $url ) ) ) )['posted'] );
	}

	public function test_feed_addresses_get_the_identity_the_worker_gives_them(): void {
		$cases = json_decode( (string) file_get_contents( dirname( __DIR__ ) . '/fixtures/dedupe/address-cases.json' ), true )['cases']; // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local fixture.
		$this->assertGreaterThan( 20, count( $cases ) );
		foreach ( $cases as $case ) {
			$this->assertSame( $case['identity'], Feed_Address\address_identity( $case['url'] ), $case['url'] );
		}
	}

	public function test_a_feed_address_that_differs_only_in_spelling_is_refused_naming_the_feed(): void {
		$feed = self::create_feed(
			array(
				'url'   => 'https://example.org/feed.xml',
				'title' => 'Example news',
			)
		);
		self::act_as( 'administrator' );
		foreach ( array( 'https://example.org/feed.xml#x', 'http://EXAMPLE.org/feed.xml/', 'https://example.org/feed.xml?utm_source=a' ) as $spelling ) {
			$response = self::request( 'POST', 'feeds', array( 'url' => $spelling ) );
			$this->assertSame( 400, $response->get_status(), $spelling );
			$this->assertStringContainsString( sprintf( 'Feed URL: this feed is already added as "Example news" (feed #%d, https://example.org/feed.xml).', $feed->id ), self::error_text( $response ) );
		}
		$this->assertSame( 201, self::request( 'POST', 'feeds', array( 'url' => 'https://example.org/feed.xml?page=2' ) )->get_status() );
		// Saving the feed itself under another spelling is fine.
		$this->assertSame( 200, self::request( 'PUT', "feeds/{$feed->id}", array( 'url' => 'http://example.org/feed.xml' ) )->get_status() );
	}

	public function test_the_decision_reads_the_index_in_one_query(): void {
		global $wpdb;
		$feed = self::create_feed();
		self::import( $feed, array( self::draft( $feed, 'q1', Contract_Fixtures::signature( 11 ) + array( 'text_hash' => str_repeat( 'c', 32 ) ) ) ) );
		$before = $wpdb->num_queries;
		$match  = Dedupe\find_match( Contract_Fixtures::identity( 'https://news.example.org/articles/q2', Contract_Fixtures::signature( 11, 10 ) ) );
		$this->assertSame( 1, $wpdb->num_queries - $before );
		$this->assertSame( 'similar_text', $match['layer'] );
		$this->assertEqualsWithDelta( 118 / 128, $match['similarity'], 0.0001 );
	}
}
