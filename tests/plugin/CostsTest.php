<?php
/**
 * Costs: prices per model, each item's calls priced once, sums per feed and month, and the monthly budget
 * that makes rewriting wait (nothing dispatched, the reason on the feed and in a notice) until it is raised.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Admin\Costs as Costs_Screen;
use ATAI\Costs;
use ATAI\Feeds;
use ATAI\Provenance;
use ATAI\Runs;
use ATAI\Settings;

/**
 * Pricing, recording, sums and the budget.
 */
final class CostsTest extends RestTestCase {

	/**
	 * A usage of a rewrite and a second opinion on a cheaper model, and a cached call.
	 *
	 * @return array<string, mixed>
	 */
	private static function usage(): array {
		return array(
			'prompt_tokens'     => 3000,
			'completion_tokens' => 1200,
			'calls'             => array(
				array(
					'purpose'           => 'rewrite',
					'model'             => 'gpt-4o-2024-08-06',
					'prompt_tokens'     => 1000,
					'completion_tokens' => 1000,
					'cached'            => false,
				),
				array(
					'purpose'           => 'judge',
					'model'             => 'gpt-4o-mini',
					'prompt_tokens'     => 1000,
					'completion_tokens' => 100,
					'cached'            => false,
				),
				array(
					'purpose'           => 'rewrite',
					'model'             => 'gpt-4o',
					'prompt_tokens'     => 1000,
					'completion_tokens' => 100,
					'cached'            => true,
				),
			),
		);
	}

	public function test_each_call_is_priced_at_its_models_rate_and_cached_calls_are_free(): void {
		$priced = Costs\price_usage( self::usage(), 'gpt-4o' );
		// gpt-4o (dated): 1000 × 2.50 + 1000 × 10.00; gpt-4o-mini: 1000 × 0.15 + 100 × 0.60 (micro-dollars).
		$this->assertSame( 2500 + 10000 + 150 + 60, $priced['micros'] );
		$this->assertSame( 3000, $priced['prompt_tokens'] );
		$this->assertFalse( $priced['unpriced'] );
		$this->assertSame( '$0.0127', Costs\dollars( $priced['micros'] ) );
	}

	public function test_a_model_without_a_price_costs_nothing_and_says_so(): void {
		$priced = Costs\price_usage(
			array(
				'prompt_tokens'     => 500,
				'completion_tokens' => 500,
			),
			'llama3.1'
		);
		$this->assertSame( 0, $priced['micros'] );
		$this->assertTrue( $priced['unpriced'] );
	}

	public function test_prices_are_edited_as_lines_and_a_wrong_line_is_refused_in_words(): void {
		$this->assertTrue( Settings\update_from_rest( array( 'ai_prices' => "llama3.1 0.05 0.10\n# local\ngpt-4o-mini: $0.15 | 0.60" ) ) );
		$this->assertSame( "llama3.1 0.05 0.1\ngpt-4o-mini 0.15 0.6", Settings\get( Settings\AI_PRICES ) );
		$this->assertSame( 75, Costs\price_usage( array( 'prompt_tokens' => 500, 'completion_tokens' => 500 ), 'llama3.1' )['micros'] );

		$refused = Settings\update_from_rest( array( 'ai_prices' => "gpt-4o-mini cheap" ) );
		$this->assertSame( 'Model prices: line 1 ("gpt-4o-mini cheap") should be a model name and two prices in dollars per million tokens, input then output, for example "gpt-4o-mini 0.15 0.60".', $refused->get_error_message() );
	}

	public function test_an_items_cost_is_recorded_with_its_post_once_and_summed_per_feed_and_month(): void {
		$feed  = self::create_feed();
		$other = self::create_feed();
		$draft = Contract_Fixtures::draft( $feed->id, 'cost-a', array( 'usage' => self::usage() ) );
		$run   = Contract_Fixtures::run_id();

		$posted  = Runs\import_drafts( $feed, $run, array( $draft ) )['posted'];
		$again   = Runs\import_drafts( $feed, $run, array( $draft ) );
		$post_id = $posted[ $draft['key'] ];

		$this->assertSame( array( $draft['key'] ), $again['skipped'] );
		$this->assertSame( '12710', get_post_meta( $post_id, Provenance\META_COST_MICROS, true ) );
		$this->assertSame( 12710, Costs\spent() );
		$this->assertSame( 12710, Costs\by_feed( array( $feed->id, $other->id ) )[ $feed->id ]['month'] );
		$this->assertSame( 0, Costs\by_feed( array( $feed->id, $other->id ) )[ $other->id ]['total'] );
		$this->assertSame( Costs\this_month(), Costs\by_month()[0]['month'] );
	}

	public function test_a_draft_skipped_as_the_same_story_still_counts_what_it_cost(): void {
		$first  = self::create_feed();
		$second = self::create_feed();
		$url    = 'https://valleywire.example/stories/bridge';
		$fields = array(
			'usage'    => self::usage(),
			'identity' => Contract_Fixtures::identity( $url ),
		);
		Runs\import_drafts( $first, Contract_Fixtures::run_id(), array( Contract_Fixtures::draft( $first->id, 'vw-1', $fields ) ) );
		$skipped = Runs\import_drafts( $second, Contract_Fixtures::run_id(), array( Contract_Fixtures::draft( $second->id, 'hg-9', $fields ) ) );

		$this->assertCount( 1, $skipped['skipped'] );
		$this->assertSame( 2 * 12710, Costs\spent() );
		$this->assertSame( 12710, Costs\by_feed( array( $second->id ) )[ $second->id ]['month'] );
	}

	public function test_an_item_error_that_cost_tokens_is_counted_once_per_run(): void {
		$feed  = self::create_feed();
		$run   = Contract_Fixtures::run_id();
		$error = Contract_Fixtures::item_error(
			$feed->id,
			'cost-error',
			array(
				'code'  => 'model_invalid_output',
				'usage' => array(
					'prompt_tokens'     => 2000,
					'completion_tokens' => 0,
					'calls'             => array(
						array(
							'purpose'           => 'rewrite',
							'model'             => 'gpt-4o-mini',
							'prompt_tokens'     => 2000,
							'completion_tokens' => 0,
							'cached'            => false,
						),
					),
				),
			)
		);
		Costs\record_errors( $feed->id, $run, array( $error ) );
		Costs\record_errors( $feed->id, $run, array( $error ) );
		Costs\record_errors( $feed->id, Contract_Fixtures::run_id(), array( $error ) );

		$this->assertSame( 600, Costs\spent() );
	}

	public function test_a_spent_budget_keeps_feeds_waiting_with_the_reason_until_it_is_raised(): void {
		self::use_worker( self::env( 'ATAI_TEST_WORKER_URL' ), self::env( 'ATAI_TEST_WORKER_SECRET' ) );
		Settings\update_from_rest( array( 'ai_enabled' => true, 'ai_monthly_budget' => 0.01 ) );
		$feed = self::create_feed( array( 'url' => self::origin( '/gen/budget.xml?items=2' ) ) );
		Costs\record( str_repeat( 'b', 64 ), Contract_Fixtures::run_id(), $feed->id, 0, Costs\price_usage( self::usage(), 'gpt-4o' ) );

		$refused = Runs\dispatch( $feed );

		$this->assertSame( 'atai_budget_reached', $refused->get_error_code() );
		$this->assertStringStartsWith( 'AI rewriting waits: this month\'s AI budget is spent ($0.0127 of $0.0100).', $refused->get_error_message() );
		$waiting = Feeds\get( $feed->id );
		$this->assertNull( $waiting->run_id );
		$this->assertSame( $refused->get_error_message(), $waiting->last_error );
		$this->assertContains( $feed->id, array_column( Runs\due_feeds(), 'id' ) );
		$this->assertSame( array(), array_filter( self::origin_log(), static fn( $line ) => str_contains( (string) wp_json_encode( $line ), 'budget.xml' ) ) );

		self::act_as( 'administrator' );
		ob_start();
		Costs_Screen\render_notice();
		$notice = ob_get_clean();
		$this->assertStringContainsString( 'AI rewriting waits.', $notice );
		$this->assertStringContainsString( 'nothing is posted without its rewrite', $notice );

		Settings\update_from_rest( array( 'ai_monthly_budget' => 5 ) );
		$this->assertFalse( Costs\paused() );
		$this->assertIsArray( Runs\dispatch( Feeds\get( $feed->id ) ) );
		ob_start();
		Costs_Screen\render_notice();
		$this->assertSame( '', ob_get_clean() );
	}

	public function test_the_settings_page_shows_the_month_against_the_budget_and_each_feed(): void {
		$feed = self::create_feed( array( 'title' => 'Harbour news' ) );
		Costs\record( str_repeat( 'c', 64 ), Contract_Fixtures::run_id(), $feed->id, 0, Costs\price_usage( self::usage(), 'gpt-4o' ) );
		Settings\update_from_rest( array( 'ai_monthly_budget' => 20 ) );

		ob_start();
		Costs_Screen\render_summary();
		$html = ob_get_clean();

		$this->assertStringContainsString( 'This month: $0.0127 of the $20.00 budget.', $html );
		$this->assertMatchesRegularExpression( '~<td>Harbour news</td><td>\$0\.0127</td><td>\$0\.0127</td>~', $html );
	}
}
