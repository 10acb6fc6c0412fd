<?php
/**
 * The review queue: held drafts wait as pending posts beside their source; approve, edit then publish, or
 * discard, one by one, in bulk and through REST; the count in the menu; only administrators.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Admin\Reviews_Page;
use ATAI\Feed;
use ATAI\Ledger;
use ATAI\Provenance;
use ATAI\Reviews;
use ATAI\Runs;

/**
 * Held drafts through the import, the review functions, the screens and REST.
 */
final class ReviewsTest extends RestTestCase {

	const SOURCE = '<p>Northwind said revenue rose to 6.5 billion dollars in 2024, its chief executive Ada Lind told investors.</p>';

	/**
	 * A draft the checks held for a changed number.
	 *
	 * @return array<string, mixed>
	 */
	private static function held_draft( Feed $feed, string $guid ): array {
		return Contract_Fixtures::draft(
			$feed->id,
			$guid,
			array(
				'title'       => 'Northwind grows',
				'content'     => '<p>Revenue at Northwind climbed to 5.6 billion dollars in 2024, Ada Lind said.</p>',
				'hold'        => true,
				'source_html' => self::SOURCE,
				'findings'    => array(
					array(
						'code'        => 'number_not_in_source',
						'message'     => 'checks: the draft says 5.6 billion; the source says 6.5 billion',
						'hold'        => true,
						'draft_text'  => '5.6 billion',
						'source_text' => '6.5 billion',
					),
					array(
						'code'    => 'content_short',
						'message' => 'guards: the rewritten text is much shorter than the original',
						'hold'    => false,
					),
				),
			)
		);
	}

	/**
	 * Import drafts of a feed; the posts made, by key.
	 *
	 * @return array<string, int>
	 */
	private static function import( Feed $feed, array $drafts ): array {
		return Runs\import_drafts( $feed, Contract_Fixtures::run_id(), $drafts )['posted'];
	}

	public function test_a_held_draft_waits_as_a_pending_post_with_its_source_and_findings(): void {
		$feed   = self::create_feed( array( 'post_status' => 'publish' ) );
		$draft  = self::held_draft( $feed, 'held-a' );
		$posted = self::import( $feed, array( $draft ) );

		$post_id = $posted[ $draft['key'] ];
		$this->assertSame( 'pending', get_post_status( $post_id ) );
		$this->assertSame( 'held', Ledger\get( $draft['key'] )['state'] );
		$this->assertSame( self::SOURCE, Reviews\source_of( $draft['key'] ) );
		$this->assertSame( 1, Reviews\waiting_count() );
		$this->assertSame( '5.6 billion', Provenance\findings( $post_id )[0]['draft_text'] );
		$this->assertContains( $draft['key'], Ledger\seen_keys( $feed->id, null ) );
	}

	public function test_a_feed_that_reviews_every_draft_holds_a_clean_one_too(): void {
		$feed   = self::create_feed( array( 'post_status' => 'publish', 'review' => 'always' ) );
		$draft  = Contract_Fixtures::draft( $feed->id, 'clean-a', array( 'source_html' => self::SOURCE ) );
		$posted = self::import( $feed, array( $draft ) );

		$this->assertSame( 'pending', get_post_status( $posted[ $draft['key'] ] ) );
		$this->assertSame( 'held', Ledger\get( $draft['key'] )['state'] );
	}

	public function test_approving_publishes_with_the_feeds_status_and_records_who(): void {
		$feed    = self::create_feed( array( 'post_status' => 'publish' ) );
		$draft   = self::held_draft( $feed, 'held-b' );
		$post_id = self::import( $feed, array( $draft ) )[ $draft['key'] ];
		$admin   = self::act_as( 'administrator' );

		$result = Reviews\approve( $draft['key'], $admin );

		$this->assertSame( 'publish', $result['post_status'] );
		$this->assertSame( 'publish', get_post_status( $post_id ) );
		$this->assertSame( 'posted', Ledger\get( $draft['key'] )['state'] );
		$this->assertSame( (string) $admin, get_post_meta( $post_id, Reviews\META_APPROVED_BY, true ) );
		$this->assertSame( '', Reviews\source_of( $draft['key'] ) );
		$this->assertSame( 'atai_review_not_waiting', Reviews\approve( $draft['key'], $admin )->get_error_code() );
	}

	public function test_a_feed_that_posts_drafts_keeps_an_approved_one_a_draft(): void {
		$feed    = self::create_feed( array( 'post_status' => 'draft' ) );
		$draft   = self::held_draft( $feed, 'held-c' );
		$post_id = self::import( $feed, array( $draft ) )[ $draft['key'] ];

		Reviews\approve( $draft['key'], self::act_as( 'administrator' ) );

		$this->assertSame( 'draft', get_post_status( $post_id ) );
		$this->assertSame( 'posted', Ledger\get( $draft['key'] )['state'] );
	}

	public function test_discarding_trashes_the_post_and_the_item_never_comes_back(): void {
		$feed    = self::create_feed();
		$draft   = self::held_draft( $feed, 'held-d' );
		$post_id = self::import( $feed, array( $draft ) )[ $draft['key'] ];

		$result = Reviews\discard( $draft['key'] );

		$this->assertSame( 'discarded', $result['state'] );
		$this->assertSame( 'trash', get_post_status( $post_id ) );
		$this->assertSame( 'discarded', Ledger\get( $draft['key'] )['state'] );
		$this->assertContains( $draft['key'], Ledger\seen_keys( $feed->id, null ) );
		// The worker sends it again (an acknowledgement lost): nothing is posted, it stays discarded.
		$again = Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) );
		$this->assertSame( array( $draft['key'] ), $again['skipped'] );
		$this->assertSame( 'discarded', Ledger\get( $draft['key'] )['state'] );
		$this->assertSame( 0, Reviews\waiting_count() );
	}

	public function test_publishing_in_the_editor_approves_and_trashing_discards(): void {
		$feed      = self::create_feed( array( 'post_status' => 'publish' ) );
		$published = self::held_draft( $feed, 'held-e' );
		$trashed   = self::held_draft( $feed, 'held-f' );
		$posts     = self::import( $feed, array( $published, $trashed ) );
		$editor    = self::act_as( 'administrator' );

		wp_update_post(
			array(
				'ID'           => $posts[ $published['key'] ],
				'post_content' => '<p>Revenue at Northwind climbed to 6.5 billion dollars in 2024.</p>',
				'post_status'  => 'publish',
			)
		);
		wp_trash_post( $posts[ $trashed['key'] ] );

		$this->assertSame( 'posted', Ledger\get( $published['key'] )['state'] );
		$this->assertSame( (string) $editor, get_post_meta( $posts[ $published['key'] ], Reviews\META_APPROVED_BY, true ) );
		$this->assertSame( 'discarded', Ledger\get( $trashed['key'] )['state'] );
	}

	public function test_bulk_actions_approve_and_discard_several_drafts(): void {
		$feed  = self::create_feed( array( 'post_status' => 'publish' ) );
		$a     = self::held_draft( $feed, 'bulk-a' );
		$b     = self::held_draft( $feed, 'bulk-b' );
		$c     = self::held_draft( $feed, 'bulk-c' );
		$posts = self::import( $feed, array( $a, $b, $c ) );
		self::act_as( 'administrator' );

		Reviews_Page\apply( array( $a['key'], $b['key'] ), 'approve' );
		Reviews_Page\apply( array( $c['key'] ), 'discard' );

		$this->assertSame( 'publish', get_post_status( $posts[ $a['key'] ] ) );
		$this->assertSame( 'publish', get_post_status( $posts[ $b['key'] ] ) );
		$this->assertSame( 'trash', get_post_status( $posts[ $c['key'] ] ) );
	}

	public function test_the_review_screen_marks_the_findings_in_the_draft_and_the_source(): void {
		$feed  = self::create_feed();
		$draft = self::held_draft( $feed, 'screen-a' );
		self::import( $feed, array( $draft ) );
		self::act_as( 'administrator' );
		$_GET['item'] = $draft['key'];

		ob_start();
		Reviews_Page\render();
		$html = ob_get_clean();

		$this->assertMatchesRegularExpression( '~<section class="atai-side atai-draft">.*<mark class="atai-mark is-hold" data-finding="1"[^>]*>5.6 billion<sup>1</sup></mark>~s', $html );
		$this->assertMatchesRegularExpression( '~<section class="atai-side atai-source">.*<mark class="atai-mark is-hold" data-finding="1"[^>]*>6.5 billion<sup>1</sup></mark>~s', $html );
		$this->assertStringContainsString( 'checks: the draft says 5.6 billion; the source says 6.5 billion', $html );
		$this->assertStringContainsString( 'id="atai-approve"', $html );
	}

	public function test_a_finding_without_source_words_marks_the_nearest_source_sentence(): void {
		$marked = \ATAI\Highlight\both(
			'<p>The board met on Friday. Ada Lind promised 300 new jobs in Lisbon.</p>',
			'<p>The board met on Friday.</p><p>Ada Lind spoke about jobs in Lisbon and Porto.</p>',
			array(
				array(
					'code'       => 'claim_not_in_source',
					'message'    => 'x',
					'hold'       => true,
					'draft_text' => '300 new jobs',
				),
			)
		);
		$this->assertStringContainsString( '<mark class="atai-mark is-hold" data-finding="1" title="Finding 1">Ada Lind spoke about jobs in Lisbon and Porto.<sup>1</sup></mark>', $marked['source'] );
	}

	public function test_the_menu_counts_the_drafts_waiting(): void {
		global $menu, $submenu;
		$feed = self::create_feed();
		self::import( $feed, array( self::held_draft( $feed, 'menu-a' ), self::held_draft( $feed, 'menu-b' ) ) );
		self::act_as( 'administrator' );
		$menu    = array(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- a fresh admin menu for the test.
		$submenu = array(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- a fresh admin menu for the test.

		\ATAI\Admin\Feeds_Page\add_menu();
		Reviews_Page\add_menu();

		$labels = array_column( $submenu[ \ATAI\Admin\Feeds_Page\SLUG ], 0 );
		$this->assertContains( 'Review <span class="awaiting-mod count-2"><span class="pending-count">2</span></span>', $labels );
	}

	public function test_rest_lists_shows_approves_and_discards_for_administrators(): void {
		$feed  = self::create_feed( array( 'post_status' => 'publish' ) );
		$first = self::held_draft( $feed, 'rest-a' );
		$other = self::held_draft( $feed, 'rest-b' );
		$posts = self::import( $feed, array( $first, $other ) );
		self::act_as( 'administrator' );

		$list = self::request( 'GET', 'reviews' );
		$this->assertSame( 200, $list->get_status() );
		$this->assertSame( '2', $list->get_headers()['X-WP-Total'] );
		$this->assertSame( array( $first['key'], $other['key'] ), array_column( $list->get_data(), 'key' ) );

		$one = self::request( 'GET', 'reviews/' . $first['key'] )->get_data();
		$this->assertSame( self::SOURCE, $one['source_html'] );
		$this->assertStringContainsString( '5.6 billion', $one['content'] );
		$this->assertSame( 'number_not_in_source', $one['findings'][0]['code'] );

		$this->assertSame( 'publish', self::request( 'POST', 'reviews/' . $first['key'] . '/approve' )->get_data()['post_status'] );
		$this->assertSame( 'discarded', self::request( 'POST', 'reviews/' . $other['key'] . '/discard' )->get_data()['state'] );
		$this->assertSame( 'trash', get_post_status( $posts[ $other['key'] ] ) );
		$this->assertSame( 409, self::request( 'POST', 'reviews/' . $other['key'] . '/approve' )->get_status() );
	}

	/**
	 * @dataProvider non_administrators
	 */
	public function test_a_subscriber_and_a_visitor_get_403_and_change_nothing( string $role ): void {
		$feed    = self::create_feed( array( 'post_status' => 'publish' ) );
		$draft   = self::held_draft( $feed, 'deny-' . $role );
		$post_id = self::import( $feed, array( $draft ) )[ $draft['key'] ];
		if ( '' !== $role ) {
			self::act_as( $role );
		}

		foreach ( array( array( 'GET', 'reviews' ), array( 'GET', 'reviews/' . $draft['key'] ), array( 'POST', 'reviews/' . $draft['key'] . '/approve' ), array( 'POST', 'reviews/' . $draft['key'] . '/discard' ) ) as $call ) {
			$response = self::request( $call[0], $call[1] );
			$this->assertSame( 403, $response->get_status(), implode( ' ', $call ) );
			$this->assertStringNotContainsString( '5.6 billion', self::body_json( $response ) );
		}
		$this->assertSame( 'pending', get_post_status( $post_id ) );
		$this->assertSame( 'held', Ledger\get( $draft['key'] )['state'] );
	}

	/**
	 * @return array<string, array{0: string}>
	 */
	public static function non_administrators(): array {
		return array(
			'subscriber'        => array( 'subscriber' ),
			'editor'            => array( 'editor' ),
			'logged-out visitor' => array( '' ),
		);
	}
}
