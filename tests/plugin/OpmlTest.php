<?php
/**
 * OPML: the export keeps every feed's settings in our own attributes, a re-import on an empty list
 * gives the same feeds back, duplicates and unusable entries are marked before anything is added,
 * and files that are not feed lists are refused in words.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Notices;
use ATAI\Admin\OPML_Page;
use ATAI\Feed;
use ATAI\Feeds;
use ATAI\OPML;

/**
 * The feed list out and in.
 */
final class OpmlTest extends TestCase {

	/**
	 * Two feeds with settings of their own.
	 *
	 * @return Feed[]
	 */
	private static function two_feeds(): array {
		$category = wp_insert_term( 'Harbour ' . wp_generate_password( 4, false ), 'category' );
		return array(
			self::create_feed(
				array(
					'url'              => 'https://news.example.org/harbour.xml',
					'title'            => 'Harbour & Quay',
					'post_status'      => 'publish',
					'max_posts'        => 4,
					'interval'         => '6hours',
					'category'         => $category['term_id'],
					'full_text'        => 'always',
					'exclude_keywords' => array( 'sponsored', 'sea wall' ),
					'max_age_days'     => 7,
					'active_until'     => '2030-01-31',
				)
			),
			self::create_feed(
				array(
					'url'    => 'https://news.example.org/bakery.xml',
					'status' => 'paused',
				)
			),
		);
	}

	public function test_an_export_imported_again_gives_the_same_feeds_with_the_same_settings(): void {
		[ $harbour, $bakery ] = self::two_feeds();
		$xml                  = OPML\export( Feeds\all() );
		$before               = array_map( static fn( Feed $feed ) => $feed->fields(), Feeds\all() );
		Feeds\delete( $harbour->id );
		Feeds\delete( $bakery->id );

		$plan   = OPML\plan( OPML\read( $xml ) );
		$result = OPML\import( $plan, array_keys( $plan ) );

		$this->assertSame( array( 'new', 'new' ), array_column( $plan, 'state' ) );
		$this->assertCount( 2, $result['added'] );
		$this->assertSame( $before, array_map( static fn( Feed $feed ) => $feed->fields(), Feeds\all() ) );
		$this->assertStringContainsString( 'xmlns:atai="' . OPML\NS . '"', $xml );
		$this->assertStringContainsString( 'text="Harbour &amp; Quay" title="Harbour &amp; Quay" xmlUrl="https://news.example.org/harbour.xml"', $xml );
		$this->assertStringContainsString( 'atai:interval="6hours"', $xml );
	}

	public function test_a_category_or_author_this_site_lacks_falls_back_to_its_defaults(): void {
		$xml = '<?xml version="1.0"?><opml version="2.0" xmlns:atai="' . OPML\NS . '"><body><outline text="Elsewhere" xmlUrl="https://elsewhere.example.org/rss" atai:category="no-such-category" atai:author="nobody-here" atai:max_posts="3"/></body></opml>';
		self::act_as( 'administrator' );

		[ $planned ] = OPML\plan( OPML\read( $xml ) );
		OPML\import( array( $planned ), array( 0 ) );

		$feed = Feeds\all()[0];
		$this->assertSame( array( (int) get_option( 'default_category' ), get_current_user_id(), 3 ), array( $feed->category, $feed->author, $feed->max_posts ) );
		$this->assertSame( 'Elsewhere', $feed->title );
	}

	public function test_duplicates_and_unusable_entries_are_marked_before_anything_is_added(): void {
		self::act_as( 'administrator' );
		self::two_feeds();
		$xml = '<?xml version="1.0"?><opml version="1.0"><head><title>A reader\'s list</title></head><body>'
			. '<outline text="News"><outline text="Harbour again" type="rss" xmlUrl="https://news.example.org/harbour.xml"/>'
			. '<outline text="New one" type="rss" xmlUrl="https://ferry.example.org/feed"/></outline>'
			. '<outline text="New one twice" xmlUrl="https://ferry.example.org/feed"/>'
			. '<outline text="No scheme" xmlUrl="ferry.example.org/feed"/>'
			. '<outline text="A folder without a feed"/></body></opml>';

		$plan = OPML\plan( OPML\read( $xml ) );

		$this->assertSame(
			array(
				array( 'Harbour again', 'duplicate' ),
				array( 'New one', 'new' ),
				array( 'New one twice', 'duplicate' ),
				array( 'No scheme', 'invalid' ),
			),
			array_map( static fn( array $feed ) => array( $feed['title'], $feed['state'] ), $plan )
		);
		$this->assertMatchesRegularExpression( '/^Already added \(feed #\d+\)\.$/', $plan[0]['reason'] );
		$this->assertSame( 'Listed twice in the file; added once.', $plan[2]['reason'] );
		$this->assertStringStartsWith( 'Feed URL: enter the feed', $plan[3]['reason'] );
		$this->assertSame( 2, Feeds\count_all() );

		$result = OPML\import( $plan, array( 0, 1, 2, 3 ) );
		$this->assertCount( 1, $result['added'] );
		$this->assertSame( 3, Feeds\count_all() );
	}

	public function test_files_that_are_not_feed_lists_are_refused_in_words(): void {
		$bomb = '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><opml><body><outline text="&b;" xmlUrl="https://x.example/rss"/></body></opml>';

		$this->assertSame( 'The file declares a document type, which an OPML feed list never needs; it was not read.', OPML\read( $bomb )->get_error_message() );
		$this->assertStringStartsWith( 'The file is not an OPML feed list', OPML\read( '<rss version="2.0"><channel/></rss>' )->get_error_message() );
		$this->assertStringStartsWith( 'The file is not an OPML feed list', OPML\read( 'not xml at all <' )->get_error_message() );
		$this->assertSame( array(), OPML\read( '<opml version="2.0"><body><outline text="Folder only"/></body></opml>' ) );
	}

	public function test_the_review_screen_shows_what_the_file_would_add_and_the_import_adds_the_ticked_ones(): void {
		self::act_as( 'administrator' );
		[ $harbour ] = self::two_feeds();
		$xml         = '<opml version="2.0"><body><outline text="Harbour" xmlUrl="' . esc_attr( $harbour->url ) . '"/><outline text="Ferry &amp; Quay" xmlUrl="https://ferry.example.org/feed"/></body></opml>';

		$review = OPML_Page\review_plan( $xml );
		$_GET   = array(
			'page'   => Feeds_Page\SLUG,
			'action' => 'import',
			'step'   => 'review',
		);
		ob_start();
		Feeds_Page\render();
		$html = (string) ob_get_clean();

		$this->assertStringContainsString( 'step=review', $review );
		$this->assertStringContainsString( 'The file lists 2 feeds: 1 new, 1 already added, 0 that cannot be used.', $html );
		$this->assertStringContainsString( '<input type="checkbox" name="feeds[]" value="0" id="atai-opml-0" disabled />', $html );
		$this->assertStringContainsString( '<input type="checkbox" name="feeds[]" value="1" id="atai-opml-1" checked />', $html );
		$this->assertStringContainsString( '<strong>Ferry &amp; Quay</strong>', $html );
		$this->assertStringContainsString( 'Already added (feed #' . $harbour->id . ').', $html );

		$next = OPML_Page\import_chosen( array( 0, 1 ) );

		$this->assertStringNotContainsString( 'action=', $next );
		$this->assertSame( '1 feed added. Its first run starts within a minute.', Notices\take()[0]['message'] );
		$this->assertSame( 3, Feeds\count_all() );
	}

	public function test_the_feeds_screen_links_to_import_and_to_a_nonce_protected_export(): void {
		self::act_as( 'administrator' );
		ob_start();
		Feeds_Page\render_list();
		$html = (string) ob_get_clean();

		$this->assertStringContainsString( 'page=atai-feeds&#038;action=import', $html );
		$this->assertMatchesRegularExpression( '/admin-post\.php\?action=atai_export_opml&#038;_wpnonce=[0-9a-f]{10}/', $html );
	}
}
