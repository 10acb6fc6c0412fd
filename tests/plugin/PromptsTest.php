<?php
/**
 * Prompts and models per feed: the feed's preset and settings go to the worker, its model and endpoint
 * override the site's (the site's key never goes to another endpoint), and every post records what made it,
 * shown in the editor and to REST users who can edit it.
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Provenance;
use ATAI\Runs;
use ATAI\Settings;

/**
 * Run requests, provenance meta and the editor box.
 */
final class PromptsTest extends RestTestCase {

	public function test_a_feeds_prompt_settings_travel_in_the_run_request(): void {
		$feed = self::create_feed(
			array(
				'preset'          => 'summarize',
				'tone'            => 'friendly',
				'target_length'   => 150,
				'prompt_keywords' => "harbour\ncranes",
				'on_failure'      => 'original',
				'relevance'       => true,
				'second_opinion'  => true,
			)
		);
		$options = (array) Runs\run_request( $feed )['options'];

		$this->assertSame( 'summarize', $options['preset'] );
		$this->assertSame( 150, $options['target_length'] );
		$this->assertSame( array( 'harbour', 'cranes' ), $options['prompt_keywords'] );
		$this->assertSame( 'original', $options['on_failure'] );
		$this->assertTrue( $options['relevance'] && $options['second_opinion'] );
		$this->assertArrayNotHasKey( 'ai_model', $options );
	}

	public function test_a_feeds_model_and_endpoint_override_the_site_and_never_take_its_key(): void {
		Settings\update_from_rest(
			array(
				'ai_base_url'    => 'https://api.openai.com/v1',
				'ai_api_key'     => 'sk-site-key-0123456789',
				'ai_model'       => 'gpt-4o-mini',
				'ai_check_model' => 'gpt-4.1-nano',
				'ai_topic'       => 'Harbours and boats of the north coast.',
			)
		);
		$site  = self::create_feed( array( 'title' => 'Quay news' ) );
		$local = self::create_feed(
			array(
				'ai_base_url' => 'http://127.0.0.1:11434/v1',
				'ai_model'    => 'llama3.1',
			)
		);

		$site_request  = Runs\run_request( $site );
		$local_request = Runs\run_request( $local );

		$this->assertSame( 'sk-site-key-0123456789', $site_request['ai']['api_key'] );
		$this->assertSame( 'gpt-4.1-nano', $site_request['ai']['check_model'] );
		$this->assertSame( 'Harbours and boats of the north coast.', $site_request['ai']['topic'] );
		$this->assertSame( 'Quay news', $site_request['feed']['title'] );
		$this->assertSame( 'http://127.0.0.1:11434/v1', $local_request['ai']['base_url'] );
		$this->assertSame( 'llama3.1', $local_request['ai']['model'] );
		$this->assertStringNotContainsString( 'sk-site', (string) wp_json_encode( $local_request ) );
		$this->assertTrue( \ATAI\Contract\validate( 'RunRequest', json_decode( wp_json_encode( $local_request ), true ) ) );
	}

	public function test_a_feed_endpoint_that_is_not_a_web_address_is_refused_naming_the_field(): void {
		$refused = \ATAI\Feeds\create(
			array(
				'url'         => 'https://news.example.org/feed.xml',
				'author'      => self::create_user( 'editor' ),
				'ai_base_url' => 'ftp://models.example',
			)
		);
		$this->assertStringContainsString( 'Endpoint: enter an address starting with http:// or https://', $refused->get_error_message() );
	}

	public function test_every_post_records_what_made_it_for_editors_and_nobody_else(): void {
		$feed    = self::create_feed( array( 'post_status' => 'publish' ) );
		$draft   = Contract_Fixtures::draft(
			$feed->id,
			'made-1',
			array(
				'endpoint'  => 'api.openai.com',
				'prompt'    => array(
					'preset'  => 'summarize',
					'version' => '1',
				),
				'relevance' => array(
					'score'  => 82,
					'reason' => 'About the harbour.',
				),
				'findings'  => array(
					array(
						'code'    => 'content_short',
						'message' => 'guards: the rewritten text is much shorter than the original',
						'hold'    => false,
					),
				),
			)
		);
		$post_id = Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'][ $draft['key'] ];

		self::act_as( 'editor' );
		$meta = self::request( 'GET', '/wp/v2/posts/' . $post_id, array( 'context' => 'edit' ) )->get_data()['meta'];
		$this->assertSame( 'summarize', $meta[ Provenance\META_PRESET ] );
		$this->assertSame( '1', $meta[ Provenance\META_PRESET_VERSION ] );
		$this->assertSame( 'api.openai.com', $meta[ Provenance\META_ENDPOINT ] );
		$this->assertSame( 900, $meta[ Provenance\META_PROMPT_TOKENS ] );
		$this->assertSame( 375, $meta[ Provenance\META_COST_MICROS ] );
		$this->assertSame( 'content_short', $meta[ Provenance\META_FINDINGS ][0]['code'] );
		$this->assertSame( 82, $meta[ Provenance\META_RELEVANCE ]['score'] );

		self::act_as( 'subscriber' );
		$this->assertArrayNotHasKey( Provenance\META_ENDPOINT, self::request( 'GET', '/wp/v2/posts/' . $post_id )->get_data()['meta'] ?? array() );
		wp_set_current_user( 0 );
		$this->assertStringNotContainsString( 'api.openai.com', self::body_json( self::request( 'GET', '/wp/v2/posts/' . $post_id ) ) );

		self::act_as( 'administrator' );
		ob_start();
		Provenance\render_box( get_post( $post_id ) );
		$box = ob_get_clean();
		$this->assertStringContainsString( '<dt>Preset</dt><dd>summarize (version 1)</dd>', $box );
		$this->assertStringContainsString( '<dt>Cost</dt><dd>$0.0004</dd>', $box );
		$this->assertStringContainsString( 'Note:</strong> guards: the rewritten text is much shorter than the original', $box );
	}
}
